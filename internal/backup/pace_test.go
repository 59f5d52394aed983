package backup

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"
	"time"
)

// The nap lengthens while little comes between naps, shortens when
// nearly a pipe's worth does, and stays within its bounds; small pipes
// are not paced.
func TestPacerAdaptsWithinBounds(t *testing.T) {
	if newPacer(64<<10) != nil || newPacer(0) != nil {
		t.Fatal("a small pipe is paced")
	}
	p := newPacer(1 << 20)
	for range 5 {
		p.move(4 << 10)
		p.wait()
	}
	if p.nap != maxNap {
		t.Fatalf("after naps with little read: %v, want %v", p.nap, maxNap)
	}
	for range 8 {
		p.move(1 << 20)
		p.wait()
	}
	if p.nap != minNap {
		t.Fatalf("after naps with the pipe nearly full: %v, want %v", p.nap, minNap)
	}
	p.move(512 << 10)
	p.wait()
	if p.nap != minNap {
		t.Fatalf("half a pipe changed the nap: %v", p.nap)
	}
}

// A paced read-ahead of a real pipe, written 4 KiB at a time as pg_dump
// writes, returns every byte in order.
func TestPacedPipeKeepsEveryByte(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	size := growPipe(pr)
	if size < minPacedPipe {
		t.Fatalf("pipe of %d bytes", size)
	}
	want := make([]byte, 2048*4096+17)
	for i := range want {
		want[i] = byte(i * 7 / 4096)
	}
	go func() {
		for b := want; len(b) > 0; b = b[min(len(b), 4096):] {
			pw.Write(b[:min(len(b), 4096)])
		}
		pw.Close()
	}()
	a := newReadAhead(pr, size)
	defer a.close()
	got, err := io.ReadAll(a)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (%v), want the %d written", len(got), err, len(want))
	}
}

// The read-ahead naps after a read that drained the pipe, and only then.
func TestReadAheadNapsWhenThePipeIsEmpty(t *testing.T) {
	// Each read's size: aheadBlock is a full read (more may wait), less
	// drained the pipe.
	script := []int{aheadBlock, aheadBlock, 4096, aheadBlock, 100, 200}
	src := &scripted{sizes: script}
	naps := make(chan int, len(script))
	r := newReadAheadPaced(src, &pacer{capacity: 1 << 20, nap: firstNap, sleep: func(time.Duration) { naps <- src.reads }})
	defer r.close()
	got, err := io.ReadAll(r)
	if err != nil || len(got) != 2*aheadBlock+4096+aheadBlock+300 {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	close(naps)
	var after []int
	for n := range naps {
		after = append(after, n)
	}
	// Naps after the third, fifth and sixth reads: each less than a block.
	if fmt.Sprint(after) != "[3 5 6]" {
		t.Fatalf("napped after reads %v, want [3 5 6]", after)
	}
}

type scripted struct {
	sizes []int
	reads int
}

func (s *scripted) Read(p []byte) (int, error) {
	if s.reads == len(s.sizes) {
		return 0, io.EOF
	}
	n := s.sizes[s.reads]
	s.reads++
	return n, nil
}
