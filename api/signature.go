package api

// SignatureAlgorithm names how a login challenge was signed. The gateway
// accepts these; the client picks the first its key supports.
type SignatureAlgorithm string

const (
	// SigRSAPKCS1SHA256 is RSASSA-PKCS1-v1_5 with SHA-256, what Korean
	// signing software produces and the default for RSA keys.
	SigRSAPKCS1SHA256 SignatureAlgorithm = "rsa-pkcs1-sha256"
	SigRSAPSSSHA256   SignatureAlgorithm = "rsa-pss-sha256"
	SigECDSASHA256    SignatureAlgorithm = "ecdsa-sha256"
)
