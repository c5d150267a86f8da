#include "crypto/Hkdf.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

#include "common/Error.hpp"

namespace loa {

std::vector<uint8_t> hkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                                std::span<const uint8_t> info, size_t length) {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                    &EVP_PKEY_CTX_free);
    std::vector<uint8_t> out(length);
    size_t outLen = length;
    // OpenSSL rejects an empty salt pointer; RFC 5869 says a missing salt is HashLen zero bytes.
    static constexpr uint8_t kZeroSalt[32] = {};
    const auto saltBytes = salt.empty() ? std::span<const uint8_t>(kZeroSalt) : salt;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), saltBytes.data(), static_cast<int>(saltBytes.size())) <= 0 ||
        EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.data(), static_cast<int>(ikm.size())) <= 0 ||
        EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info.data(), static_cast<int>(info.size())) <= 0 ||
        EVP_PKEY_derive(ctx.get(), out.data(), &outLen) <= 0 || outLen != length) {
        throw Error("HKDF-SHA256 derivation failed in OpenSSL");
    }
    return out;
}

void secureRandom(std::span<uint8_t> out) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) throw Error("no secure random bytes available");
}

}  // namespace loa
