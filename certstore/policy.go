package certstore

import "strings"

// Purpose is what a certificate may be used for, as Korean users know it
// from the picker's 구분 column.
type Purpose string

const (
	PurposeGeneralPersonal  Purpose = "범용 개인"
	PurposeGeneralCorporate Purpose = "범용 법인"
	PurposeBanking          Purpose = "은행·보험·카드용"
	PurposeCorporateBanking Purpose = "법인 은행용"
	PurposeSecurities       Purpose = "증권·보험용"
	PurposeTaxInvoice       Purpose = "전자세금계산서용"
	PurposeGovernment       Purpose = "행정"
	PurposeGovernmentOrg    Purpose = "행정 기관"
	PurposeUnknown          Purpose = "기타"
)

// English names of the purposes, for English-language front ends.
var purposeEnglish = map[Purpose]string{
	PurposeGeneralPersonal:  "general (personal)",
	PurposeGeneralCorporate: "general (corporate)",
	PurposeBanking:          "banking/insurance/card",
	PurposeCorporateBanking: "corporate banking",
	PurposeSecurities:       "securities/insurance",
	PurposeTaxInvoice:       "e-tax invoice",
	PurposeGovernment:       "government (GPKI)",
	PurposeGovernmentOrg:    "government agency (GPKI)",
	PurposeUnknown:          "other",
}

// English returns the purpose in English.
func (p Purpose) English() string {
	if s, ok := purposeEnglish[p]; ok {
		return s
	}
	return string(p)
}

// policyInfo is what a certificate policy OID tells about a certificate.
type policyInfo struct {
	ca      string
	purpose Purpose
}

// policies maps the certificate policy OIDs of the Korean accredited CAs and
// GPKI to their CA and purpose. Sources: the CAs' CPS documents and the OID
// tables KISA publishes for relying parties.
var policies = map[string]policyInfo{
	// 금융결제원 (yessign)
	"1.2.410.200005.1.1.1":   {"yessign", PurposeGeneralPersonal},
	"1.2.410.200005.1.1.2":   {"yessign", PurposeCorporateBanking},
	"1.2.410.200005.1.1.4":   {"yessign", PurposeBanking},
	"1.2.410.200005.1.1.5":   {"yessign", PurposeGeneralCorporate},
	"1.2.410.200005.1.1.6.2": {"yessign", PurposeBanking},
	"1.2.410.200005.1.1.6.8": {"yessign", PurposeTaxInvoice},
	// 한국정보인증 (KICA)
	"1.2.410.200004.5.2.1.2":   {"KICA", PurposeGeneralPersonal},
	"1.2.410.200004.5.2.1.1":   {"KICA", PurposeGeneralCorporate},
	"1.2.410.200004.5.2.1.7.1": {"KICA", PurposeBanking},
	"1.2.410.200004.5.2.1.7.2": {"KICA", PurposeSecurities},
	"1.2.410.200004.5.2.1.6.1": {"KICA", PurposeTaxInvoice},
	// 코스콤 (SignKorea)
	"1.2.410.200004.5.1.1.5":  {"SignKorea", PurposeGeneralPersonal},
	"1.2.410.200004.5.1.1.7":  {"SignKorea", PurposeGeneralCorporate},
	"1.2.410.200004.5.1.1.9":  {"SignKorea", PurposeSecurities},
	"1.2.410.200004.5.1.1.12": {"SignKorea", PurposeTaxInvoice},
	// 한국전자인증 (CrossCert)
	"1.2.410.200004.5.4.1.1":   {"CrossCert", PurposeGeneralPersonal},
	"1.2.410.200004.5.4.1.2":   {"CrossCert", PurposeGeneralCorporate},
	"1.2.410.200004.5.4.1.101": {"CrossCert", PurposeBanking},
	"1.2.410.200004.5.4.1.102": {"CrossCert", PurposeSecurities},
	"1.2.410.200004.5.4.1.103": {"CrossCert", PurposeTaxInvoice},
	// 한국무역정보통신 (TradeSign)
	"1.2.410.200012.1.1.1":   {"TradeSign", PurposeGeneralPersonal},
	"1.2.410.200012.1.1.3":   {"TradeSign", PurposeGeneralCorporate},
	"1.2.410.200012.1.1.101": {"TradeSign", PurposeBanking},
	"1.2.410.200012.1.1.103": {"TradeSign", PurposeSecurities},
	"1.2.410.200012.1.1.105": {"TradeSign", PurposeTaxInvoice},
	// 한국전산원 / 한국정보사회진흥원 (NCASign)
	"1.2.410.200004.5.3.1.9": {"NCASign", PurposeGeneralPersonal},
	"1.2.410.200004.5.3.1.2": {"NCASign", PurposeGeneralCorporate},
	"1.2.410.200004.5.3.1.1": {"NCASign", PurposeGeneralCorporate},
	// 이니텍 (INITECH, private CA used by banks)
	"1.2.410.200004.5.5.1.1": {"INITECH", PurposeGeneralPersonal},
	"1.2.410.200004.5.5.1.2": {"INITECH", PurposeGeneralCorporate},
	// 행정전자서명 (GPKI)
	"1.2.410.100001.2.2.1": {"GPKI", PurposeGovernment},
	"1.2.410.100001.2.1.1": {"GPKI", PurposeGovernmentOrg},
	"1.2.410.100001.2.1.2": {"GPKI", PurposeGovernmentOrg},
	"1.2.410.100001.2.1.3": {"GPKI", PurposeGovernmentOrg},
}

// caPrefixes names the CA from the OID arc of its policies when the exact
// policy is not in the table.
var caPrefixes = []struct{ prefix, ca string }{
	{"1.2.410.200005.", "yessign"},
	{"1.2.410.200004.5.1.", "SignKorea"},
	{"1.2.410.200004.5.2.", "KICA"},
	{"1.2.410.200004.5.3.", "NCASign"},
	{"1.2.410.200004.5.4.", "CrossCert"},
	{"1.2.410.200004.5.5.", "INITECH"},
	{"1.2.410.200012.", "TradeSign"},
	{"1.2.410.100001.", "GPKI"},
}

// caOrganizations names the CA from the issuer's O attribute.
var caOrganizations = map[string]string{
	"yessign":             "yessign",
	"kica":                "KICA",
	"signkorea":           "SignKorea",
	"crosscert":           "CrossCert",
	"tradesign":           "TradeSign",
	"ncasign":             "NCASign",
	"initech":             "INITECH",
	"government of korea": "GPKI",
}

// caKorean is how the picker shows each CA (발급자).
var caKorean = map[string]string{
	"yessign":   "금융결제원",
	"KICA":      "한국정보인증",
	"SignKorea": "코스콤",
	"CrossCert": "한국전자인증",
	"TradeSign": "한국무역정보통신",
	"NCASign":   "한국정보사회진흥원",
	"INITECH":   "이니텍",
	"GPKI":      "행정전자서명",
}

// lookupPolicy returns the CA and purpose for a policy OID.
func lookupPolicy(oid string) (ca string, purpose Purpose) {
	if p, ok := policies[oid]; ok {
		return p.ca, p.purpose
	}
	for _, c := range caPrefixes {
		if strings.HasPrefix(oid, c.prefix) {
			return c.ca, PurposeUnknown
		}
	}
	return "", PurposeUnknown
}

// caFromOrganization names the CA from issuer O values.
func caFromOrganization(orgs []string) string {
	for _, o := range orgs {
		if ca, ok := caOrganizations[strings.ToLower(strings.TrimSpace(o))]; ok {
			return ca
		}
	}
	return ""
}

// KoreanCAName returns the Korean name of a CA short name (yessign ->
// 금융결제원), or the short name itself when unknown.
func KoreanCAName(ca string) string {
	if k, ok := caKorean[ca]; ok {
		return k
	}
	return ca
}
