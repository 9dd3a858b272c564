package gateway

import "github.com/opensvpn/svpn/api"

// ErrorCode makes a refusal an api.CodedError, so api.CodeOf reads the
// gateway's own refusals the way it reads the client's.
func (r *refusal) ErrorCode() api.Code { return r.resp.Code }
