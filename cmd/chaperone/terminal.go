package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// tty is the human's terminal. Approving reads secrets only from a terminal:
// there is deliberately no flag, variable or pipe that carries a password.
type tty struct {
	f  *os.File
	in *bufio.Reader
}

// terminal returns the terminal on standard input, or an input error saying
// why a terminal is needed.
func (a *app) terminal() (*tty, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, inputErrf("this needs a human at a terminal: the password is read from the terminal only, never from a flag, the environment or a pipe")
	}
	return &tty{f: f, in: bufio.NewReader(f)}, nil
}

func (t *tty) ask(given, prompt string) (string, error) {
	if given != "" {
		return given, nil
	}
	fmt.Fprint(t.f, prompt)
	line, err := t.in.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		return "", inputErrf("no answer given")
	}
	return line, err
}

func (t *tty) secret(prompt string) (string, error) {
	fmt.Fprint(t.f, prompt)
	b, err := term.ReadPassword(int(t.f.Fd()))
	fmt.Fprintln(t.f)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
