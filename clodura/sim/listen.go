package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Listen opens a TCP listener on addr (such as "127.0.0.1:0") for serving a
// Server with http.Serve. It returns the base URL clients should use: the
// listener's address, with 127.0.0.1 (or [::1]) standing in for an
// unspecified host. With useTLS the listener speaks TLS (HTTP/1.1 only, so
// that dropped connections can be hijacked) with a self-signed ECDSA
// certificate for 127.0.0.1, ::1 and localhost, generated in memory; caPEM
// is that certificate, for the client to trust. Without TLS caPEM is nil.
func Listen(addr string, useTLS bool) (l net.Listener, url string, caPEM []byte, err error) {
	var tlsConf *tls.Config
	if useTLS {
		cert, pemBytes, err := selfSigned(time.Now())
		if err != nil {
			return nil, "", nil, err
		}
		tlsConf = &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		}
		caPEM = pemBytes
	}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("sim: listen on %s: %w", addr, err)
	}
	tcp, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		l.Close()
		return nil, "", nil, fmt.Errorf("sim: listen on %s: not a TCP address: %v", addr, l.Addr())
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
		if addrIsV6(addr) {
			host = "::1"
		}
	}
	scheme := "http"
	if useTLS {
		scheme = "https"
		l = tls.NewListener(l, tlsConf)
	}
	return l, scheme + "://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port)), caPEM, nil
}

// addrIsV6 reports whether addr names an IPv6 host ("[::]:0").
func addrIsV6(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.To4() == nil
}

// selfSigned makes a fresh ECDSA P-256 certificate, valid from an hour ago
// for 30 days, that is its own CA.
func selfSigned(now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: generating the TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: generating the serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"clodura-enrich simulator"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sim: creating the TLS certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
