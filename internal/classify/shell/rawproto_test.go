package shell

import "testing"

// What is typed into a raw connection is judged as the server runs it.
func TestCommandsTypedIntoRawConnections(t *testing.T) {
	check(t, []want{
		{`printf 'DEL users\r\n' | nc localhost 6379`, destructive, "redis.destructive"},
		{`printf '*2\r\n$3\r\nDEL\r\n$5\r\nusers\r\n' | nc -q1 redis 6379`, destructive, "redis.destructive"},
		{`printf 'SWAPDB 0 1\r\n' | ncat localhost 6379`, destructive, "redis.destructive"},
		{`printf 'EXPIRE sessions 0\n' | socat - TCP:localhost:6379`, destructive, "redis.destructive"},
		{`printf 'ACL SETUSER default off\r\n' | nc localhost 6379`, destructive, "redis.lockout"},
		{`printf 'CONFIG GET requirepass\r\n' | nc -U /run/redis.sock`, credential, "redis.read-credentials"},
		{`echo 'delete k' | nc localhost 11211`, destructive, "net.raw-destructive"},
		{`(printf 'AUTH x\r\n'; printf 'FLUSHALL\r\n') | nc localhost 6379`, unknown, "net.raw-unknown"},
		{"redis-cli --cluster call 10.0.0.1:6379 FLUSHALL", destructive, "redis.destructive"},
		{"redis-cli --cluster del-node 10.0.0.1:6379 abc", destructive, "redis.destructive"},
		// nc itself is a write: it sends something somewhere.
		{`printf 'PING\r\n' | nc localhost 6379`, write, ""},
		{`echo stats | nc localhost 11211`, write, ""},
		{`printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | nc example.com 80`, write, ""},
		{"nc -zv localhost 5432", write, ""},
		{"redis-cli --cluster check 10.0.0.1:6379", read, ""},
	})
}
