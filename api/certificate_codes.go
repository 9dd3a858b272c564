package api

// Certificate refusal codes of the gateway that split what
// CodeCertificateWrongPurpose and CodeCertificateRevoked used to cover, so
// the helpdesk can tell the cases apart. CodeCertificateWrongPurpose stays the
// code for a certificate whose policy OID is not accepted for login (a
// bank-only certificate, for instance).
const (
	// CodeCertificateKeyUsage: the certificate's key usage does not allow
	// signing (neither digitalSignature nor nonRepudiation), e.g. an
	// encryption-only certificate was picked instead of the signing one.
	CodeCertificateKeyUsage Code = "certificate_key_usage"
	// CodeCertificateIsCA: a CA certificate was presented as a login
	// certificate.
	CodeCertificateIsCA Code = "certificate_is_ca"
	// CodeCertificateRevocationUnknown: the revocation status of the
	// certificate cannot be checked because the gateway's CRL for its CA is
	// out of date (past its next update plus the configured grace) or was
	// never loaded. The user can do nothing about it: it is the gateway
	// operator's problem, and the login can be retried once the CRL loads.
	CodeCertificateRevocationUnknown Code = "certificate_revocation_unknown"
)
