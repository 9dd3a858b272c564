package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
)

// FuzzCertMoveRequest sends arbitrary bodies to the relay's calls while a
// slot waits. Every answer is JSON (a success or a coded refusal), nothing
// panics, and without the slot's tokens nothing changes the slot.
func FuzzCertMoveRequest(f *testing.F) {
	m := newMoveSetup(f, nil)
	ctx := context.Background()
	open, err := m.h.client.CertMoveOpen(ctx, m.token, &api.CertMoveOpenRequest{Certificate: m.bundle.Cert})
	if err != nil {
		f.Fatal(err)
	}
	if err := m.h.client.CertMovePut(ctx, &api.CertMovePutRequest{SlotID: open.SlotID, Token: open.Token, Step: api.CertMoveA, Data: []byte("A")}); err != nil {
		f.Fatal(err)
	}
	before, _ := m.h.st.MoveSlotByID(ctx, open.SlotID)
	paths := []string{api.PathCertMoveOpen, api.PathCertMoveJoin, api.PathCertMovePut, api.PathCertMoveGet}
	for i := range paths {
		f.Add(uint8(i), `{"user_id":"mover","slot":"`+open.Slot+`"}`)
		f.Add(uint8(i), `{"slot_id":"`+open.SlotID+`","token":"x","step":"b","data":"AAAA"}`)
		f.Add(uint8(i), `{"slot_id":"`+open.SlotID+`","token":"x","step":"fail"}`)
		f.Add(uint8(i), `{"slot_id":"`+open.SlotID+`","token":"","step":"payload","wait_seconds":-5}`)
		f.Add(uint8(i), `{"certificate":"AAAA","delete_after":true}`)
		f.Add(uint8(i), `{"slot_id":"`+open.SlotID+`","token":"x","step":"ack","data":"`+strings.Repeat("A", 200)+`"}`)
		f.Add(uint8(i), `[]`)
	}
	handler := m.h.srv.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		if strings.Contains(body, open.Token) {
			return
		}
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+body[:min(len(body), 40)])
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			var e api.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
				t.Fatalf("%s %q: status %d, body %q", path, body, rec.Code, rec.Body.String())
			}
		}
		after, err := m.h.st.MoveSlotByID(ctx, open.SlotID)
		if path == api.PathCertMoveJoin && err == nil && after.Stage == 2 {
			// A fuzzed join found the slot (its number is three digits):
			// that is the relay working. Nothing else may change; undo.
			m.h.st.AdvanceMoveSlot(ctx, open.SlotID, 2, 1, "", nil, "", m.h.clock.Now())
			after, err = m.h.st.MoveSlotByID(ctx, open.SlotID)
		}
		if err != nil || after.Stage != before.Stage || !bytes.Equal(after.MsgA, before.MsgA) || after.MsgB != nil {
			t.Fatalf("%s %q changed the slot: %+v %v", path, body, after, err)
		}
	})
}
