package store

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one versioned schema change. Each driver keeps its own SQL,
// file for file under the same names (NNNN_what.sql), so that a state
// moved between drivers is at the same version on both sides.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads dir/*.sql from fsys in version order, refusing a gap.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []Migration
	for i, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want version %04d", base, i+1)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(text)})
	}
	return ms, nil
}

// NewerSchemaError is the refusal to open a state written by a newer
// Chaperone: its schema has migrations this one does not know.
func NewerSchemaError(current, known int) error {
	return fmt.Errorf("state schema is version %d but this chaperone knows only %d: it was written by a newer chaperone", current, known)
}

// CheckSchema compares an applied schema version (read with err) with the
// number of migrations a build knows.
func CheckSchema(applied, known int, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("reading the state's schema version: %w", err)
	case applied > known:
		return NewerSchemaError(applied, known)
	case applied < known:
		return fmt.Errorf("state schema is version %d, this chaperone needs %d: restart it to migrate", applied, known)
	}
	return nil
}
