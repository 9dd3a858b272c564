// Package xvfbtest runs the real desktop app under Xvfb against the demo
// gateway and svpnd (userspace), driving it with xdotool like a person:
//
//	SVPN_SCREENSHOTS=docs/screenshots go test -run TestScreenshots ./ui/xvfbtest   # make screenshots
//	go test -run '^$' -bench DesktopApp -benchtime 1x ./ui/xvfbtest                 # start time and idle RSS
//
// TestDesktopSmoke always runs (in make test): the real app must show a
// drawn login window within ~30 s. All need Xvfb, xdotool and ImageMagick
// (scripts/deps.sh installs them) and skip without them; TestScreenshots
// runs only when SVPN_SCREENSHOTS names the output directory.
package xvfbtest
