package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certmove"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/internal/cliflags"
)

// 인증서 이동 from the command line. svpnctl runs the whole protocol
// (package certmove) itself: svpnd only forwards opaque relay messages and
// adds the session token to the sender's Open, so neither svpnd nor the
// gateway ever sees the code's secret digits, a key or the files.

// moveTimeout bounds a send or receive: the slot's life and some slack.
const moveTimeout = api.CertMoveTTL + time.Minute

func (c *cli) certsSend(args []string) int {
	fs := c.newFlags("certs send")
	certPath := fs.String("cert", "", "certificate to send: signCert.der, its folder, or a GPKI *_sig.cer")
	deleteAfter := fs.Bool("delete-after", false, "delete the certificate from this PC once the other PC has it")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *certPath == "" {
		fmt.Fprintln(c.stderr, "svpnctl certs send: --cert is required")
		return exitUsage
	}
	bundle, cert, err := certmove.ReadBundle(*certPath)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	ko := c.lang() == api.Korean
	err = certmove.Send(ctx, d, certmove.SendOptions{Bundle: bundle, DeleteAfter: *deleteAfter,
		OnCode: func(code certmove.Code, expires time.Time) {
			until := expires.Local().Format("15:04:05")
			if ko {
				fmt.Fprintf(c.stdout, "인증번호: %s\n받는 PC에서 코드를 입력하세요. (%s까지 유효)\n", code, until)
			} else {
				fmt.Fprintf(c.stdout, "Code: %s\nEnter this code on the receiving PC (valid until %s).\n", code, until)
			}
		},
		OnJoined: func() {
			if ko {
				fmt.Fprintln(c.stdout, "받는 PC와 인증번호를 확인했습니다. 인증서를 보내는 중입니다…")
			} else {
				fmt.Fprintln(c.stdout, "The receiving PC confirmed the code. Sending the certificate…")
			}
		},
	})
	if err != nil {
		return c.fail(err)
	}
	name := certstore.DisplayName(cert.X509)
	if ko {
		fmt.Fprintf(c.stdout, "받는 PC에 인증서(%s)를 보냈습니다.\n", name)
	} else {
		fmt.Fprintf(c.stdout, "The certificate (%s) is on the receiving PC.\n", name)
	}
	if *deleteAfter {
		if err := certmove.Delete(cert); err != nil {
			return c.fail(api.Errorf(api.CodeCertMoveSave, "%w", err))
		}
		if ko {
			fmt.Fprintf(c.stdout, "이 PC에서 인증서를 삭제했습니다: %s\n", cert.Path)
		} else {
			fmt.Fprintf(c.stdout, "Deleted the certificate from this PC: %s\n", cert.Path)
		}
	}
	return exitOK
}

func (c *cli) certsReceive(args []string) int {
	fs := c.newFlags("certs receive")
	user := fs.String("user", "", "account `ID` the certificate belongs to")
	codeFlag := fs.String("code", "", "the code shown on the sending PC (else read from standard input)")
	drive := fs.String("removable", "", "write to this removable drive `root` (<root>/NPKI) instead of the hard disk")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	if *user == "" {
		fmt.Fprintln(c.stderr, "svpnctl certs receive: --user is required")
		return exitUsage
	}
	typed := *codeFlag
	if typed == "" {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(c.stderr, "svpnctl certs receive: give --code or the code on standard input")
			return exitUsage
		}
		typed = strings.TrimSpace(line)
	}
	code, err := certmove.ParseCode(typed)
	if err != nil {
		return c.fail(err)
	}
	var dest certmove.Destination
	if *drive != "" {
		dest = certmove.Removable(*drive)
	} else if dest, err = certmove.HardDisk(); err != nil {
		return c.fail(api.Errorf(api.CodeCertMoveSave, "%w", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	path, err := certmove.Receive(ctx, d, certmove.ReceiveOptions{UserID: *user, Code: code,
		Save: func(b *certmove.Bundle) (string, error) { return b.Install(dest) }})
	if err != nil && path != "" {
		// Saved, but the acknowledgement did not reach the relay: the
		// sending PC will not hear that this one has it.
		fmt.Fprintf(c.stderr, "svpnctl: the certificate was saved at %s, but the sending PC was not told\n", path)
	}
	if err != nil {
		return c.fail(err)
	}
	if c.lang() == api.Korean {
		fmt.Fprintf(c.stdout, "인증서를 저장했습니다: %s\n", path)
	} else {
		fmt.Fprintf(c.stdout, "Certificate saved: %s\n", path)
	}
	return exitOK
}

func (c *cli) certsMove(cmd string, args []string) int {
	if cmd == "send" {
		return c.certsSend(args)
	}
	return c.certsReceive(args)
}
