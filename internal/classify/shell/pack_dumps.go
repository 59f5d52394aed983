package shell

import (
	"net/url"
	"slices"
	"strings"
)

func init() { register(dumpsPack) }

// dumpsPack: whole-cluster dumps carry the accounts' password hashes
// (roles, mysql.user, admin.system.users), which log in as those accounts
// wherever they are accepted, or fall to an offline attack. A dump that
// leaves them out is a read, as before.
var dumpsPack = &Pack{Name: "dumps", Commands: []string{"pg_dumpall", "mysqldump", "mariadb-dump", "mysqlpump", "mongodump"}, Partial: true, Rules: []Rule{
	{ID: "creds.dump-hashes", When: func(c *call) bool {
		switch c.name {
		case "pg_dumpall":
			return !c.has("--no-role-passwords", "-a", "--data-only", "-t", "--tablespaces-only")
		case "mysqldump", "mariadb-dump":
			if c.has("-A", "--all-databases") {
				return true
			}
			if v, ok := c.flagValue("--system"); ok && (strings.Contains(v, "users") || strings.Contains(v, "all")) {
				return true
			}
			return dumpsMySQLAccounts(c)
		case "mysqlpump":
			return c.has("--users") || c.has("-A", "--all-databases") && !c.has("--exclude-databases")
		case "mongodump":
			return mongoDumpsAdmin(c)
		}
		return false
	}, Class: credential, Reason: "the dump holds the accounts' password hashes (leave them out: pg_dumpall --no-role-passwords, dump the application's databases by name)"},
}}

// dumpsMySQLAccounts: mysqldump of the mysql database whole, or of its
// accounts' tables. Without -B the first operand is the database and the
// rest its tables.
func dumpsMySQLAccounts(c *call) bool {
	var ops []string
	for _, p := range c.pos {
		if !p.afterFlag || p.flag == "--" {
			ops = append(ops, p.s)
		}
	}
	if c.has("-B", "--databases") {
		return slices.ContainsFunc(ops, func(s string) bool { return strings.EqualFold(s, "mysql") })
	}
	if len(ops) == 0 || !strings.EqualFold(ops[0], "mysql") {
		return false
	}
	tables := ops[1:]
	return len(tables) == 0 || slices.ContainsFunc(tables, func(t string) bool {
		switch strings.ToLower(t) {
		case "user", "global_priv", "slave_master_info", "servers":
			return true
		}
		return false
	})
}

// mongoDumpsAdmin: mongodump of every database (admin among them) or of
// admin itself, where system.users lives.
func mongoDumpsAdmin(c *call) bool {
	db, _ := c.flagValue("--db", "-d")
	if db == "" {
		for _, v := range optionValues(c, "--uri") {
			if u, err := url.Parse(v.s); err == nil {
				db = strings.Trim(u.Path, "/")
			}
		}
	}
	if db == "" {
		for _, p := range c.pos {
			if strings.HasPrefix(p.s, "mongodb://") || strings.HasPrefix(p.s, "mongodb+srv://") {
				if u, err := url.Parse(p.s); err == nil {
					db = strings.Trim(u.Path, "/")
				}
			}
		}
	}
	coll, _ := c.flagValue("--collection", "-c")
	if db != "" {
		return strings.EqualFold(db, "admin") && (coll == "" || strings.HasPrefix(coll, "system."))
	}
	ns := optionValues(c, "--nsInclude")
	if len(ns) == 0 {
		return true
	}
	return slices.ContainsFunc(ns, func(v arg) bool {
		d, _, _ := strings.Cut(v.s, ".")
		return d == "*" || strings.EqualFold(d, "admin") || strings.ContainsAny(d, "*?[")
	})
}
