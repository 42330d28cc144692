#include "server/rules/ca_material.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/render/problems.h"

namespace capi_bridge::rules {
namespace {

namespace v1 = magnum::capi::bridge::v1;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Bio Read(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// A passphrase callback that refuses: an encrypted key is an error, never
// a prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

void CheckPair(const char* name, const v1::KeyPair& pair, bool public_key_ok,
               render::Problems* problems) {
  if (pair.certificate_pem().empty() && pair.private_key_pem().empty()) {
    return;  // left to CAPI
  }
  const std::string field = absl::StrCat("ca_certificates.", name);
  Key public_key;
  Cert cert(PEM_read_bio_X509(Read(pair.certificate_pem()).get(), nullptr,
                              NoPassphrase, nullptr));
  if (cert) {
    public_key.reset(X509_get_pubkey(cert.get()));
  } else if (public_key_ok) {
    public_key.reset(PEM_read_bio_PUBKEY(Read(pair.certificate_pem()).get(),
                                         nullptr, NoPassphrase, nullptr));
  }
  ERR_clear_error();
  if (!public_key) {
    problems->Add(field + ".certificate_pem",
                  pair.certificate_pem().substr(0, 40),
                  public_key_ok ? "a PEM certificate or public key"
                                : "a PEM certificate");
  }
  Key key(PEM_read_bio_PrivateKey(Read(pair.private_key_pem()).get(), nullptr,
                                  NoPassphrase, nullptr));
  ERR_clear_error();
  if (!key) {
    // Never echo a private key, not even its first bytes.
    problems->Add(field + ".private_key_pem",
                  pair.private_key_pem().empty() ? "(empty)" : "(not shown)",
                  "an unencrypted PEM private key");
    return;
  }
  if (public_key && EVP_PKEY_eq(public_key.get(), key.get()) != 1) {
    problems->Add(field + ".private_key_pem", "(not shown)",
                  absl::StrCat("the private key of ", field,
                               ".certificate_pem (they do not match)"));
  }
}

}  // namespace

absl::Status CheckCaMaterial(const v1::CaCertificates& cas) {
  render::Problems problems("the cluster CAs");
  CheckPair("ca", cas.ca(), false, &problems);
  CheckPair("etcd", cas.etcd(), false, &problems);
  CheckPair("front_proxy", cas.front_proxy(), false, &problems);
  CheckPair("service_account", cas.service_account(), true, &problems);
  return problems.ToStatus();
}

}  // namespace capi_bridge::rules
