package tray

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Window kinds a window process shows.
const (
	WindowLogin       = "login"
	WindowDiagnostics = "diagnostics"
	WindowAbout       = "about"
	// WindowConnected is the small connection window: the tray's menu in
	// a window, for desktops without a tray icon, and where the tray asks
	// before 연结 끊기 and shows an address it could not open.
	WindowConnected = "connected"
)

// Children runs the windows in child processes of this binary, one per
// kind: `svpn --window KIND` plus Args. A child reads "show" (raise the
// window) and "quit" lines on stdin and exits when stdin closes; it writes
// "shown" once it raised its window, and requests for the tray ("open
// diagnostics"), on stdout. A child that exits without answering a "show"
// (it was closing) is started again.
type Children struct {
	Exe  string
	Args []string
	Env  []string // added to the environment
	// OnRequest receives a child's request line.
	OnRequest func(kind, request string)
	// OnExit is told when a child ended.
	OnExit func(kind string)

	mu    sync.Mutex
	procs map[string]*child
}

type child struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	done    chan struct{}
	pending bool // a "show" not answered yet
}

// Show raises the window of kind, starting its process if needed.
func (c *Children) Show(kind string) error { return c.Send(kind, "show") }

// Send gives the window process of kind a command line ("show", or one
// of that kind's own: "ask-disconnect", "unopened URL"), starting the
// process if needed; every command raises the window too.
func (c *Children) Send(kind, line string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.procs == nil {
		c.procs = map[string]*child{}
	}
	if p := c.procs[kind]; p != nil {
		if _, err := fmt.Fprintln(p.stdin, line); err == nil {
			p.pending = true
			return nil
		}
	}
	args := append([]string{"--window", kind}, c.Args...)
	cmd := exec.Command(c.Exe, args...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &child{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	c.procs[kind] = p
	if line != "show" {
		// A new process shows its window anyway; anything else is said
		// once it reads its input.
		if _, err := fmt.Fprintln(stdin, line); err == nil {
			p.pending = true
		}
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case line == "shown":
				c.mu.Lock()
				p.pending = false
				c.mu.Unlock()
			case line != "" && c.OnRequest != nil:
				c.OnRequest(kind, line)
			}
		}
		// All output read: now Wait may close the pipe.
		cmd.Wait()
		close(p.done)
		c.mu.Lock()
		respawn := p.pending
		if c.procs[kind] == p {
			delete(c.procs, kind)
		}
		c.mu.Unlock()
		if respawn {
			c.Show(kind)
		}
		if c.OnExit != nil {
			c.OnExit(kind)
		}
	}()
	return nil
}

// Running reports whether the window of kind is open.
func (c *Children) Running(kind string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[kind] != nil
}

// Pid returns the process ID of the window of kind, 0 if none.
func (c *Children) Pid(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[kind]; p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

// StopAll asks every window process to quit and kills those that do not
// within the grace period.
func (c *Children) StopAll(grace time.Duration) {
	c.mu.Lock()
	procs := make([]*child, 0, len(c.procs))
	for _, p := range c.procs {
		procs = append(procs, p)
	}
	c.mu.Unlock()
	for _, p := range procs {
		fmt.Fprintln(p.stdin, "quit")
		p.stdin.Close()
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	expired := false
	for _, p := range procs {
		if !expired {
			select {
			case <-p.done:
				continue
			case <-t.C:
				expired = true
			}
		}
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Any reports whether any window is open.
func (c *Children) Any() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.procs) > 0
}

// Close asks the window process of kind to quit, if it runs.
func (c *Children) Close(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[kind]; p != nil {
		p.pending = false
		fmt.Fprintln(p.stdin, "quit")
	}
}
