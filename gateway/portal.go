package gateway

import (
	"fmt"
	"html"
	"net/http"
	"time"
)

// PortalHandler serves the demo's stand-in for the internal admin portal
// (행정포탈). It is reachable only inside the tunnel, so a page load proves
// the tunnel works end to end.
func PortalHandler(name string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, portalPage, html.EscapeString(name), html.EscapeString(r.RemoteAddr), time.Now().Format("2006-01-02 15:04:05"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /download/10MB", serveDownload)
	return mux
}

const portalPage = `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>행정포탈</title>
<style>body{font-family:"Nanum Gothic","Noto Sans KR",sans-serif;margin:3em;color:#222}
h1{color:#0b4ea2}.box{border:1px solid #ccd;padding:1em 1.5em;border-radius:6px;max-width:40em}</style></head>
<body><h1>행정포탈</h1><div class="box">
<p>%s 내부망에 연결되었습니다. 이 페이지는 원격근무서비스 터널 안에서만 열립니다.</p>
<p>접속 주소: %s<br>서버 시각: %s</p>
<ul><li>전자결재</li><li>업무관리시스템</li><li>메일</li><li>인사·복무</li></ul>
</div></body></html>
`
