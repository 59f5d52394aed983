package localpg

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A process that starts a server and is killed (no Stop, no deferred
// cleanup) leaves no server running and no files behind.
func TestAServerDoesNotOutliveItsProcess(t *testing.T) {
	if os.Getenv("LOCALPG_HELPER") == "1" {
		s, err := Start()
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(s.Port, s.Dir)
		time.Sleep(time.Hour)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAServerDoesNotOutliveItsProcess$")
	cmd.Env = append(os.Environ(), "LOCALPG_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var port int
	var dir string
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		cmd.Process.Kill()
		t.Fatal("the helper said nothing")
	}
	if _, err := fmt.Sscan(sc.Text(), &port, &dir); err != nil {
		cmd.Process.Kill()
		t.Fatalf("the helper said %q", sc.Text())
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if c, err := net.Dial("tcp", addr); err != nil {
		cmd.Process.Kill()
		t.Fatalf("the server is not up: %v", err)
	} else {
		c.Close()
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.Dial("tcp", addr)
		_, statErr := os.Stat(filepath.Dir(dir))
		if err != nil && os.IsNotExist(statErr) {
			return
		}
		if c != nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after its process was killed: server still listening %v, files still there %v", err == nil, statErr == nil)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
