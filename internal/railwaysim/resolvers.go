package railwaysim

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// root answers one top-level field. Mutations other than volumeDelete are
// acknowledged and change nothing: the stand-in records them.
func (s *Server) root(op ast.Operation, field string, args map[string]any) (any, error) {
	id, _ := args["id"].(string)
	if op == ast.Mutation {
		if field == "volumeDelete" {
			vid, _ := args["volumeId"].(string)
			i := slices.IndexFunc(s.project.Volumes, func(v Volume) bool { return v.ID == vid })
			if i < 0 {
				return nil, fmt.Errorf("volume %s not found", vid)
			}
			s.project.Volumes = slices.Delete(s.project.Volumes, i, i+1)
		}
		return true, nil
	}
	switch field {
	case "me":
		return map[string]any{"id": "user_1", "name": "Demo User", "email": "demo@example.com"}, nil
	case "project":
		if id != s.project.ID {
			return nil, fmt.Errorf("project %s not found", id)
		}
		return s.projectNode(), nil
	case "projects":
		return connection([]any{s.projectNode()}), nil
	case "environment":
		if e, ok := s.env(id); ok {
			return s.envNode(e), nil
		}
		return nil, fmt.Errorf("environment %s not found", id)
	case "volumeInstance":
		for _, v := range s.project.Volumes {
			for _, vi := range v.Instances {
				if vi.ID == id {
					return s.volumeInstanceNode(v, vi), nil
				}
			}
		}
		return nil, fmt.Errorf("volume instance %s not found", id)
	case "service":
		for _, sv := range s.project.Services {
			if sv.ID == id {
				return s.serviceNode(sv), nil
			}
		}
		return nil, fmt.Errorf("service %s not found", id)
	}
	return nil, fmt.Errorf("the stand-in does not answer %s", field)
}

func connection(nodes []any) map[string]any {
	edges := make([]any, len(nodes))
	for i, n := range nodes {
		edges[i] = map[string]any{"node": n}
	}
	return map[string]any{"edges": edges, "pageInfo": map[string]any{"hasNextPage": false}}
}

func (s *Server) env(id string) (Environment, bool) {
	for _, e := range s.project.Environments {
		if e.ID == id {
			return e, true
		}
	}
	return Environment{}, false
}

func (s *Server) envNode(e Environment) map[string]any {
	return map[string]any{"__typename": "Environment", "id": e.ID, "name": e.Name, "projectId": s.project.ID}
}

func (s *Server) volumeInstanceNode(v Volume, vi VolumeInstance) map[string]any {
	n := map[string]any{"__typename": "VolumeInstance", "id": vi.ID, "volumeId": v.ID, "environmentId": vi.EnvironmentID}
	if e, ok := s.env(vi.EnvironmentID); ok {
		n["environment"] = s.envNode(e)
	}
	return n
}

func (s *Server) serviceNode(sv Service) map[string]any {
	var insts []any
	for _, eid := range sv.EnvIDs {
		insts = append(insts, map[string]any{"__typename": "ServiceInstance", "serviceId": sv.ID, "environmentId": eid, "serviceName": sv.Name})
	}
	return map[string]any{"__typename": "Service", "id": sv.ID, "name": sv.Name, "projectId": s.project.ID,
		"serviceInstances": connection(insts), "project": s.projectNode()}
}

func (s *Server) projectNode() map[string]any {
	var envs, vols []any
	for _, e := range s.project.Environments {
		envs = append(envs, s.envNode(e))
	}
	for _, v := range s.project.Volumes {
		var insts []any
		for _, vi := range v.Instances {
			insts = append(insts, s.volumeInstanceNode(v, vi))
		}
		vols = append(vols, map[string]any{"__typename": "Volume", "id": v.ID, "name": v.Name, "projectId": s.project.ID,
			"volumeInstances": connection(insts)})
	}
	return map[string]any{"__typename": "Project", "id": s.project.ID, "name": s.project.Name,
		"environments": connection(envs), "volumes": connection(vols)}
}
