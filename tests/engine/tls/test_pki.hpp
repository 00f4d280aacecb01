#pragma once
// Certificates for the TLS unit tests, made with the OpenSSL API into a temporary directory: a CA,
// a server certificate, client certificates (one from a foreign CA), an encrypted key and a CRL.

#include <stdlib.h>

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace engine::tls::testing {

struct Identity {
    EVP_PKEY *key = nullptr;
    X509 *certificate = nullptr;
    Identity() = default;
    Identity(const Identity &) = delete;
    Identity &operator=(const Identity &) = delete;
    ~Identity() {
        EVP_PKEY_free(key);
        X509_free(certificate);
    }
};

inline void add_extension(X509 *certificate, X509 *issuer, int nid, const char *value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    REQUIRE(extension != nullptr);
    X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
}

/// A P-256 key and a certificate for `common_name`, signed by `issuer` (self-signed when null).
inline void make_identity(Identity &identity, const char *common_name, const Identity *issuer, bool is_ca,
                          long serial) {
    identity.key = EVP_EC_gen("P-256");
    REQUIRE(identity.key != nullptr);
    X509 *certificate = X509_new();
    identity.certificate = certificate;
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 86400);
    X509_set_pubkey(certificate, identity.key);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("uring tests"), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(common_name), -1,
                               -1, 0);
    X509 *issuer_certificate = issuer ? issuer->certificate : certificate;
    X509_set_issuer_name(certificate, X509_get_subject_name(issuer_certificate));
    if (is_ca) {
        add_extension(certificate, issuer_certificate, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(certificate, issuer_certificate, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(certificate, issuer_certificate, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    }
    REQUIRE(X509_sign(certificate, issuer ? issuer->key : identity.key, EVP_sha256()) > 0);
}

inline void write_certificate(const std::filesystem::path &path, X509 *certificate, bool append = false) {
    std::FILE *file = std::fopen(path.c_str(), append ? "ab" : "wb");
    REQUIRE(file != nullptr);
    PEM_write_X509(file, certificate);
    std::fclose(file);
}

inline void write_key(const std::filesystem::path &path, EVP_PKEY *key, const char *password = nullptr) {
    std::FILE *file = std::fopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    PEM_write_PrivateKey(file, key, password ? EVP_aes_256_cbc() : nullptr, nullptr, 0, nullptr,
                         const_cast<char *>(password));
    std::fclose(file);
}

/// A CRL from `issuer` revoking the certificate with serial `revoked_serial`.
inline void write_crl(const std::filesystem::path &path, const Identity &issuer, long revoked_serial) {
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.certificate));
    ASN1_TIME *now = ASN1_TIME_adj(nullptr, time(nullptr), 0, -60);
    ASN1_TIME *next = ASN1_TIME_adj(nullptr, time(nullptr), 1, 0);
    X509_CRL_set1_lastUpdate(crl, now);
    X509_CRL_set1_nextUpdate(crl, next);
    X509_REVOKED *revoked = X509_REVOKED_new();
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    ASN1_INTEGER_set(serial, revoked_serial);
    X509_REVOKED_set_serialNumber(revoked, serial);
    X509_REVOKED_set_revocationDate(revoked, now);
    X509_CRL_add0_revoked(crl, revoked);
    X509_CRL_sort(crl);
    REQUIRE(X509_CRL_sign(crl, issuer.key, EVP_sha256()) > 0);
    std::FILE *file = std::fopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    PEM_write_X509_CRL(file, crl);
    std::fclose(file);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
}

constexpr const char *key_password = "correct horse";
constexpr long revoked_client_serial = 40;

/// Every file the tests need, under one temporary directory removed at the end.
class TestPki {
  public:
    TestPki() {
        char pattern[] = "/tmp/engine_tls_test.XXXXXX";
        REQUIRE(mkdtemp(pattern) != nullptr);
        directory = pattern;
        make_identity(ca, "Test CA", nullptr, true, 1);
        make_identity(server, "localhost", &ca, false, 2);
        make_identity(client, "test client", &ca, false, 3);
        make_identity(revoked_client, "revoked client", &ca, false, revoked_client_serial);
        make_identity(foreign_ca, "Foreign CA", nullptr, true, 1);
        make_identity(foreign_client, "foreign client", &foreign_ca, false, 5);
        write_certificate(ca_file(), ca.certificate);
        write_certificate(certificate_file(), server.certificate);
        write_key(key_file(), server.key);
        write_key(encrypted_key_file(), server.key, key_password);
        write_key(directory / "client-key.pem", client.key);
        write_crl(crl_file(), ca, revoked_client_serial);
    }
    ~TestPki() {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
    TestPki(const TestPki &) = delete;
    TestPki &operator=(const TestPki &) = delete;

    std::filesystem::path ca_file() const { return directory / "ca.pem"; }
    std::filesystem::path certificate_file() const { return directory / "server.pem"; }
    std::filesystem::path key_file() const { return directory / "server-key.pem"; }
    std::filesystem::path encrypted_key_file() const { return directory / "server-key-encrypted.pem"; }
    std::filesystem::path crl_file() const { return directory / "crl.pem"; }

    std::filesystem::path directory;
    Identity ca, server, client, revoked_client, foreign_ca, foreign_client;
};

} // namespace engine::tls::testing
