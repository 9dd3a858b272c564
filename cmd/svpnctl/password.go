package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// lineReader reads passwords one line at a time from standard input, for
// --password-stdin.
type lineReader struct{ r *bufio.Reader }

func newLineReader(r io.Reader) *lineReader { return &lineReader{bufio.NewReader(r)} }

// next returns the next line without its line ending.
func (l *lineReader) next(what string) ([]byte, error) {
	line, err := l.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return nil, fmt.Errorf("reading %s from standard input: %w", what, err)
	}
	return []byte(strings.TrimRight(line, "\r\n")), nil
}

// promptPassword asks on the terminal without echo.
func (c *cli) promptPassword(prompt string) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("no terminal to ask for the %s; use --password-stdin", prompt)
	}
	fmt.Fprintf(c.stderr, "%s: ", prompt)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(c.stderr)
	return pw, err
}

// password reads one password from stdin (fromStdin) or the terminal.
func (c *cli) password(fromStdin bool, prompt string) ([]byte, error) {
	if fromStdin {
		return newLineReader(c.stdin).next(prompt)
	}
	return c.promptPassword(prompt)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
