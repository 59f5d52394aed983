package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// AddUpstream appends an upstream to the config file at path, keeping its
// comments. The edited file must load cleanly before it replaces the old one,
// and it replaces it atomically: nothing is half-written or half-valid.
func AddUpstream(path string, u Upstream) error {
	return edit(path, func(root *yaml.Node) error {
		seq := upstreamsNode(root, true)
		for _, item := range seq.Content {
			if field(item, "name") == u.Name {
				return fmt.Errorf("upstream %q already exists in %s (remove it first)", u.Name, path)
			}
		}
		entry := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, kv := range [][2]string{{"name", u.Name}, {"kind", u.Kind}, {"env", u.Env}, {"dsn", string(u.DSN)}, {"url", u.URL},
			{"provider", u.Provider}, {"credential", string(u.APICredential)}, {"credential_header", u.CredentialHeader},
			{"backup_schedule", u.BackupSchedule}} {
			if kv[1] == "" {
				continue
			}
			entry.Content = append(entry.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[0]},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[1]})
		}
		seq.Style = 0 // block style, one entry per item
		seq.Content = append(seq.Content, entry)
		return nil
	})
}

// RemoveUpstream deletes an upstream from the config file at path.
func RemoveUpstream(path, name string) error {
	return edit(path, func(root *yaml.Node) error {
		seq := upstreamsNode(root, false)
		if seq != nil {
			for i, item := range seq.Content {
				if field(item, "name") == name {
					seq.Content = append(seq.Content[:i], seq.Content[i+1:]...)
					return nil
				}
			}
		}
		return fmt.Errorf("upstream %q is not in %s", name, path)
	})
}

func edit(path string, change func(root *yaml.Node) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := Parse(path, data); err != nil {
		return err // never edit a config that does not load: fix it first
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if err := change(doc.Content[0]); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if _, err := Parse(path, buf.Bytes()); err != nil {
		return fmt.Errorf("the edited config would not load, so it was not written: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chaperone.yaml.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// upstreamsNode finds the upstreams list in the root mapping, adding it when
// asked to.
func upstreamsNode(root *yaml.Node, create bool) *yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "upstreams" {
			v := root.Content[i+1]
			if v.Kind != yaml.SequenceNode {
				*v = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", HeadComment: v.HeadComment, LineComment: v.LineComment, FootComment: v.FootComment}
			}
			return v
		}
	}
	if !create {
		return nil
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "upstreams"}, seq)
	return seq
}

func field(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1].Value
		}
	}
	return ""
}
