package shell

import (
	"strconv"
	"strings"
)

// Text typed into a raw connection (nc, socat, telnet, openssl s_client)
// is a protocol's commands: Redis speaks both RESP arrays and plain lines,
// memcached plain lines. Each is judged as that server would run it, with
// the same rules as redis-cli; an HTTP request is left to the HTTP reading.

var rawClients = map[string]bool{"nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true, "openssl": true, "websocat": true}

// rawConnection judges what a raw client sends.
func (w *walker) rawConnection(c *call, in input) {
	if !rawClients[c.name] || c.name == "openssl" && !c.sub("s_client") || c.has("-l", "--listen") || !in.present {
		return
	}
	if !in.known {
		// The commands are whatever the producer prints when it runs.
		w.add("net.raw-unknown", unknown, c.name+" sends "+in.from+" over a raw connection, only known at run time")
		return
	}
	if strings.Contains(in.text, "HTTP/") {
		return // a request: read as one by the HTTP reading
	}
	for _, cmd := range rawCommands(in.text) {
		if len(cmd) == 0 {
			continue
		}
		switch strings.ToLower(cmd[0]) {
		case "flush_all", "delete":
			// memcached's: every item, or one.
			w.add("net.raw-destructive", destructive, c.name+" sends "+cmd[0]+", which removes data")
			continue
		}
		args := make([]arg, len(cmd))
		for i, s := range cmd {
			args[i] = arg{s: s}
		}
		w.redis(args)
	}
}

// rawCommands splits what is sent into commands: RESP arrays
// (*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n) decoded, other lines split into words.
// A RESP array that does not decode is kept whole as one word, which no
// rule reads as a read.
func rawCommands(text string) [][]string {
	var out [][]string
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(l, "*")); l[0] == '*' && err == nil && n > 0 && n < 1<<16 {
			var cmd []string
			for k := 0; k < n && i+2 < len(lines); k++ {
				i += 2 // $len, then the bulk string
				cmd = append(cmd, lines[i])
			}
			out = append(out, cmd)
			continue
		}
		out = append(out, strings.Fields(l))
	}
	return out
}
