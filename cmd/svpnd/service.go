package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kardianos/service"

	"github.com/opensvpn/svpn/tunnel/firewall"
)

// serviceConfig describes svpnd to the OS service manager (systemd,
// launchd, the Windows service manager).
func serviceConfig(args []string) *service.Config {
	return &service.Config{
		Name:        "svpnd",
		DisplayName: "SVPN 원격근무서비스",
		Description: "SVPN remote-work VPN service: keeps the tunnel to the office gateway.",
		Arguments:   append([]string{"run"}, args...),
		Option: service.KeyValue{
			"Restart":          "on-failure",
			"OnFailure":        "restart",
			"DelayedAutoStart": false,
		},
	}
}

// program runs the daemon under the service manager: Start must return
// at once, so the daemon runs in a goroutine that Stop cancels and waits
// for.
type program struct {
	o      runOptions
	stderr io.Writer
	cancel context.CancelFunc
	done   chan error
}

func (p *program) Start(service.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan error, 1)
	go func() { p.done <- runService(ctx, p.o, p.stderr) }()
	return nil
}

func (p *program) Stop(service.Service) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	return <-p.done
}

// runManaged runs the daemon under the OS service manager when it started
// us (the Windows service manager needs its control protocol answered);
// interactively, it runs in the foreground until ctx ends.
func runManaged(ctx context.Context, o runOptions, stderr io.Writer) error {
	if service.Interactive() {
		return runService(ctx, o, stderr)
	}
	s, err := service.New(&program{o: o, stderr: stderr}, serviceConfig(nil))
	if err != nil {
		return err
	}
	return s.Run()
}

func install(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("svpnd install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", defaultProfile(), "installed gateway profile `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*profile)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("profile %s: %w (write it before installing the service)", abs, err)
	}
	s, err := service.New(&program{}, serviceConfig([]string{"--profile", abs}))
	if err != nil {
		return err
	}
	if err := s.Install(); err != nil {
		return fmt.Errorf("installing the service: %w", err)
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("starting the service: %w", err)
	}
	fmt.Fprintln(stdout, "svpnd installed and started")
	return nil
}

func uninstall(stdout io.Writer) error {
	s, err := service.New(&program{}, serviceConfig(nil))
	if err != nil {
		return err
	}
	if err := s.Stop(); err != nil {
		fmt.Fprintf(stdout, "stopping: %v\n", err)
	}
	if err := s.Uninstall(); err != nil {
		return fmt.Errorf("removing the service: %w", err)
	}
	// A kill switch outlives svpnd by design; it must not outlive SVPN.
	if g, err := firewall.Open(firewall.Options{StateDir: defaultStateDir()}); err == nil {
		if err := g.Release(); err != nil {
			fmt.Fprintf(stdout, "removing the firewall rules: %v\n", err)
		}
		g.Close()
	}
	fmt.Fprintln(stdout, "svpnd stopped and removed")
	return nil
}
