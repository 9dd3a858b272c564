package certstore

import "encoding/asn1"

// Object identifiers of the key-encryption schemes found in NPKI, GPKI and
// OpenSSL-made key files.
var (
	// KISA's legacy scheme: PBKDF1-SHA1, SEED-CBC with an IV derived from
	// the key material (seedCBCWithSHA1). Most NPKI keys issued before about
	// 2019 use it.
	oidSEEDCBCWithSHA1 = asn1.ObjectIdentifier{1, 2, 410, 200004, 1, 15}
	// seedCBC. As a PBE scheme by itself (very old keys), PBKDF1-SHA1 with
	// the fixed IV "0123456789012345"; as a PBES2 encryption scheme, plain
	// SEED-CBC with the IV in the parameters.
	oidSEEDCBC = asn1.ObjectIdentifier{1, 2, 410, 200004, 1, 4}

	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}

	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidARIA128CBC = asn1.ObjectIdentifier{1, 2, 410, 200046, 1, 1, 2}
	oidARIA192CBC = asn1.ObjectIdentifier{1, 2, 410, 200046, 1, 1, 7}
	oidARIA256CBC = asn1.ObjectIdentifier{1, 2, 410, 200046, 1, 1, 12}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}

	// The random value R kept as a PKCS#8 attribute of NPKI keys, used with
	// the holder's resident registration number for the VID check.
	oidKISARandomNum = asn1.ObjectIdentifier{1, 2, 410, 200004, 10, 1, 1, 3}
	// subjectAltName otherName carrying the holder's real name and VID.
	oidKISAIdentifyData = asn1.ObjectIdentifier{1, 2, 410, 200004, 10, 1, 1}
	oidKISAVID          = asn1.ObjectIdentifier{1, 2, 410, 200004, 10, 1, 1, 1}

	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidSHA1           = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)
