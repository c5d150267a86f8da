// OpenSSL 3 marks the low-level SHA-1 calls deprecated in favour of EVP, whose per-call context
// handling is exactly the cost this file avoids; they remain part of its API.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "srtp/FastSrtpSender.hpp"

#include <immintrin.h>
#include <openssl/crypto.h>

#include <cstring>

#include "common/Error.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {
namespace {

#define LOA_AESNI __attribute__((target("aes,sse4.1")))

LOA_AESNI __m128i expandStep(__m128i key, __m128i generated) {
    generated = _mm_shuffle_epi32(generated, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, generated);
}

/// The AES-128 encryption key schedule (FIPS 197), 11 round keys.
LOA_AESNI void expandKey(const uint8_t* key, uint8_t* out) {
    auto* rk = reinterpret_cast<__m128i*>(out);
    rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    rk[1] = expandStep(rk[0], _mm_aeskeygenassist_si128(rk[0], 0x01));
    rk[2] = expandStep(rk[1], _mm_aeskeygenassist_si128(rk[1], 0x02));
    rk[3] = expandStep(rk[2], _mm_aeskeygenassist_si128(rk[2], 0x04));
    rk[4] = expandStep(rk[3], _mm_aeskeygenassist_si128(rk[3], 0x08));
    rk[5] = expandStep(rk[4], _mm_aeskeygenassist_si128(rk[4], 0x10));
    rk[6] = expandStep(rk[5], _mm_aeskeygenassist_si128(rk[5], 0x20));
    rk[7] = expandStep(rk[6], _mm_aeskeygenassist_si128(rk[6], 0x40));
    rk[8] = expandStep(rk[7], _mm_aeskeygenassist_si128(rk[7], 0x80));
    rk[9] = expandStep(rk[8], _mm_aeskeygenassist_si128(rk[8], 0x1b));
    rk[10] = expandStep(rk[9], _mm_aeskeygenassist_si128(rk[9], 0x36));
}

LOA_AESNI inline __m128i encryptBlock(const __m128i* rk, __m128i block) {
    block = _mm_xor_si128(block, rk[0]);
    for (int r = 1; r < 10; ++r)
        block = _mm_aesenc_si128(block, rk[r]);
    return _mm_aesenclast_si128(block, rk[10]);
}

/// XORs `data` with the AES counter-mode keystream from `iv` (the last 16 bits count blocks,
/// as RFC 3711 §4.1.1 has it).
LOA_AESNI void counterMode(const uint8_t* roundKeys, const uint8_t iv[16], uint8_t* data, size_t length) {
    const auto* rk = reinterpret_cast<const __m128i*>(roundKeys);
    alignas(16) uint8_t counter[16];
    std::memcpy(counter, iv, 16);
    uint16_t block = static_cast<uint16_t>(counter[14] << 8 | counter[15]);
    for (size_t at = 0; at < length; at += 16, ++block) {
        counter[14] = static_cast<uint8_t>(block >> 8);
        counter[15] = static_cast<uint8_t>(block);
        alignas(16) uint8_t keystream[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(keystream),
                        encryptBlock(rk, _mm_load_si128(reinterpret_cast<const __m128i*>(counter))));
        const size_t n = std::min<size_t>(16, length - at);
        for (size_t i = 0; i < n; ++i)
            data[at + i] ^= keystream[i];
    }
}

/// RFC 3711 §4.3.1 with key derivation rate 0: AES-CM(master key, (salt ^ label << 48) << 16).
void deriveSessionKey(const uint8_t* masterRoundKeys, const uint8_t* masterSalt, uint8_t label, uint8_t* out,
                      size_t length) {
    uint8_t iv[16] = {};
    std::memcpy(iv, masterSalt, 14);
    iv[7] ^= label;
    std::memset(out, 0, length);
    counterMode(masterRoundKeys, iv, out, length);
}

}  // namespace

bool FastSrtpSender::supported() {
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}

FastSrtpSender::FastSrtpSender(std::span<const uint8_t> keyMaterial) {
    if (keyMaterial.size() != 30) throw Error("AES_CM_128_HMAC_SHA1_80 key material must be 30 bytes");
    if (!supported()) throw Error("this CPU has no AES-NI: use libsrtp");
    alignas(16) uint8_t masterRoundKeys[176];
    expandKey(keyMaterial.data(), masterRoundKeys);
    const uint8_t* masterSalt = keyMaterial.data() + 16;

    uint8_t encryptionKey[16];
    uint8_t authKey[20];
    deriveSessionKey(masterRoundKeys, masterSalt, 0x00, encryptionKey, sizeof encryptionKey);
    deriveSessionKey(masterRoundKeys, masterSalt, 0x01, authKey, sizeof authKey);
    deriveSessionKey(masterRoundKeys, masterSalt, 0x02, sessionSalt_.data(), sessionSalt_.size());
    expandKey(encryptionKey, roundKeys_.data());

    uint8_t pad[64];
    std::memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < sizeof authKey; ++i)
        pad[i] ^= authKey[i];
    SHA1_Init(&innerPad_);
    SHA1_Update(&innerPad_, pad, sizeof pad);
    std::memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < sizeof authKey; ++i)
        pad[i] ^= authKey[i];
    SHA1_Init(&outerPad_);
    SHA1_Update(&outerPad_, pad, sizeof pad);
    OPENSSL_cleanse(authKey, sizeof authKey);
    OPENSSL_cleanse(encryptionKey, sizeof encryptionKey);
    OPENSSL_cleanse(masterRoundKeys, sizeof masterRoundKeys);
}

size_t FastSrtpSender::protect(std::span<uint8_t> buffer, size_t length, uint32_t ssrc, uint64_t index) const {
    if (length > buffer.size() || buffer.size() - length < kTagLength) return 0;
    const auto rtp = RtpPacket::parse(buffer.first(length));
    if (!rtp || rtp->paddingSize() != 0 || rtp->sequence() != static_cast<uint16_t>(index)) return 0;

    // IV = (session salt << 16) ^ (SSRC << 64) ^ (index << 16), RFC 3711 §4.1.1.
    uint8_t iv[16] = {};
    std::memcpy(iv, sessionSalt_.data(), 14);
    for (int i = 0; i < 4; ++i)
        iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i)
        iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
    counterMode(roundKeys_.data(), iv, buffer.data() + rtp->headerSize(), length - rtp->headerSize());

    // Tag = HMAC-SHA1(auth key, packet || ROC), the first 80 bits (RFC 3711 §4.2).
    const auto roc = static_cast<uint32_t>(index >> 16);
    const uint8_t rocBytes[4] = {static_cast<uint8_t>(roc >> 24), static_cast<uint8_t>(roc >> 16),
                                 static_cast<uint8_t>(roc >> 8), static_cast<uint8_t>(roc)};
    SHA_CTX ctx = innerPad_;
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1_Update(&ctx, buffer.data(), length);
    SHA1_Update(&ctx, rocBytes, sizeof rocBytes);
    SHA1_Final(digest, &ctx);
    ctx = outerPad_;
    SHA1_Update(&ctx, digest, sizeof digest);
    SHA1_Final(digest, &ctx);
    std::memcpy(buffer.data() + length, digest, kTagLength);
    return length + kTagLength;
}

}  // namespace loa
