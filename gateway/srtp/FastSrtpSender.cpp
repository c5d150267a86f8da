// OpenSSL 3 marks its low-level SHA-1 block transform deprecated in favour of EVP, which has no
// way to resume from a saved state; it remains part of its API and is only the fallback here.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "srtp/FastSrtpSender.hpp"

#include <cpuid.h>
#include <immintrin.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

#include "common/Error.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {
namespace {

#define LOA_AESNI __attribute__((target("aes,sse4.1")))
#define LOA_SHANI __attribute__((target("sha,sse4.1,ssse3")))

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

/// XORs `data` with the AES counter-mode keystream from `iv` (the last 16 bits count blocks,
/// as RFC 3711 §4.1.1 has it). Four blocks go through the rounds together: AES-NI's latency is
/// several times its throughput, so one block at a time would leave the unit idle.
LOA_AESNI void counterMode(const uint8_t* roundKeys, const __m128i iv, uint8_t* data, size_t length) {
    const auto* rk = reinterpret_cast<const __m128i*>(roundKeys);
    // The counter is big-endian in the block's last two bytes.
    auto block = __builtin_bswap16(static_cast<uint16_t>(_mm_extract_epi16(iv, 7)));
    for (size_t at = 0; at < length; at += 64, block = static_cast<uint16_t>(block + 4)) {
        __m128i b[4];
        for (int i = 0; i < 4; ++i) {
            const auto counter = __builtin_bswap16(static_cast<uint16_t>(block + i));
            b[i] = _mm_xor_si128(_mm_insert_epi16(iv, counter, 7), rk[0]);
        }
        for (int r = 1; r < 10; ++r) {
            for (auto& x : b)
                x = _mm_aesenc_si128(x, rk[r]);
        }
        for (auto& x : b)
            x = _mm_aesenclast_si128(x, rk[10]);
        const size_t remaining = length - at;
        for (size_t i = 0; i < 4 && i * 16 < remaining; ++i) {
            uint8_t* p = data + at + i * 16;
            if (remaining >= (i + 1) * 16) {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                                 _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), b[i]));
            } else {
                alignas(16) uint8_t keystream[16];
                _mm_store_si128(reinterpret_cast<__m128i*>(keystream), b[i]);
                for (size_t k = 0; k < remaining - i * 16; ++k)
                    p[k] ^= keystream[k];
            }
        }
    }
}

/// RFC 3711 §4.3.1 with key derivation rate 0: AES-CM(master key, (salt ^ label << 48) << 16).
void deriveSessionKey(const uint8_t* masterRoundKeys, const uint8_t* masterSalt, uint8_t label, uint8_t* out,
                      size_t length) {
    alignas(16) uint8_t iv[16] = {};
    std::memcpy(iv, masterSalt, 14);
    iv[7] ^= label;
    std::memset(out, 0, length);
    counterMode(masterRoundKeys, _mm_load_si128(reinterpret_cast<const __m128i*>(iv)), out, length);
}

bool cpuHasSha() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) != 0 && __builtin_cpu_supports("sse4.1") &&
           __builtin_cpu_supports("ssse3");
}
const bool kHasSha = cpuHasSha();

/// SHA-1's compression with the SHA extensions: each sha1rnds4 does four rounds; the message
/// schedule is W[g] = msg2(msg1(W[g-4], W[g-3]) ^ W[g-2], W[g-1]) for groups of four words.
LOA_SHANI void sha1BlocksSha(Sha1State& state, const uint8_t* data, size_t blocks) {
    const __m128i byteSwap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state.data())), 0x1b);
    __m128i e0 = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
    for (; blocks > 0; --blocks, data += 64) {
        const __m128i abcdSaved = abcd, eSaved = e0;
        __m128i w[4];
        for (int i = 0; i < 4; ++i)
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)), byteSwap);
        __m128i previous = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e0, w[0]), 0);
#pragma GCC unroll 19
        for (int g = 1; g < 20; ++g) {
            if (g >= 4) {
                w[g % 4] = _mm_sha1msg2_epu32(
                    _mm_xor_si128(_mm_sha1msg1_epu32(w[g % 4], w[(g + 1) % 4]), w[(g + 2) % 4]), w[(g + 3) % 4]);
            }
            const __m128i e = _mm_sha1nexte_epu32(previous, w[g % 4]);
            previous = abcd;
            switch (g / 5) {  // the round function is an immediate operand
            case 0: abcd = _mm_sha1rnds4_epu32(abcd, e, 0); break;
            case 1: abcd = _mm_sha1rnds4_epu32(abcd, e, 1); break;
            case 2: abcd = _mm_sha1rnds4_epu32(abcd, e, 2); break;
            default: abcd = _mm_sha1rnds4_epu32(abcd, e, 3); break;
            }
        }
        e0 = _mm_sha1nexte_epu32(previous, eSaved);
        abcd = _mm_add_epi32(abcd, abcdSaved);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state.data()), _mm_shuffle_epi32(abcd, 0x1b));
    state[4] = static_cast<uint32_t>(_mm_extract_epi32(e0, 3));
}

constexpr Sha1State kSha1Initial = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

/// The state after one block: a key's HMAC pad.
Sha1State padState(const uint8_t* key, size_t keyLength, uint8_t padByte) {
    uint8_t pad[64];
    std::memset(pad, padByte, sizeof pad);
    for (size_t i = 0; i < keyLength; ++i)
        pad[i] ^= key[i];
    Sha1State state = kSha1Initial;
    sha1Blocks(state, pad, 1);
    OPENSSL_cleanse(pad, sizeof pad);
    return state;
}

}  // namespace

void sha1BlocksWithOpenSsl(Sha1State& state, const uint8_t* data, size_t blocks) {
    SHA_CTX ctx{};
    ctx.h0 = state[0];
    ctx.h1 = state[1];
    ctx.h2 = state[2];
    ctx.h3 = state[3];
    ctx.h4 = state[4];
    for (; blocks > 0; --blocks, data += 64)
        SHA1_Transform(&ctx, data);
    state = {ctx.h0, ctx.h1, ctx.h2, ctx.h3, ctx.h4};
    OPENSSL_cleanse(&ctx, sizeof ctx);
}

void sha1Blocks(Sha1State& state, const uint8_t* data, size_t blocks) {
    if (kHasSha)
        sha1BlocksSha(state, data, blocks);
    else
        sha1BlocksWithOpenSsl(state, data, blocks);
}

std::array<uint8_t, 20> sha1Finish(Sha1State state, size_t prefixBlocks, const uint8_t* data, size_t length) {
    const size_t whole = length / 64;
    sha1Blocks(state, data, whole);
    // The tail, 0x80, zeros and the message's length in bits: one block, or two if it has no room.
    alignas(16) uint8_t last[128] = {};
    const size_t tail = length % 64;
    std::memcpy(last, data + whole * 64, tail);
    last[tail] = 0x80;
    const size_t lastBlocks = tail + 1 + 8 <= 64 ? 1 : 2;
    const uint64_t bits = (uint64_t{prefixBlocks} * 64 + length) * 8;
    for (int i = 0; i < 8; ++i)
        last[lastBlocks * 64 - 1 - static_cast<size_t>(i)] = static_cast<uint8_t>(bits >> (8 * i));
    sha1Blocks(state, last, lastBlocks);
    std::array<uint8_t, 20> digest{};
    for (size_t i = 0; i < 5; ++i) {
        for (size_t k = 0; k < 4; ++k)
            digest[4 * i + k] = static_cast<uint8_t>(state[i] >> (24 - 8 * k));
    }
    return digest;
}

bool FastSrtpSender::supported() {
    return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}

bool FastSrtpSender::hasShaInstructions() {
    return kHasSha;
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
    deriveSessionKey(masterRoundKeys, masterSalt, 0x02, sessionSalt_.data(), 14);
    expandKey(encryptionKey, roundKeys_.data());
    innerState_ = padState(authKey, sizeof authKey, 0x36);
    outerState_ = padState(authKey, sizeof authKey, 0x5c);
    OPENSSL_cleanse(authKey, sizeof authKey);
    OPENSSL_cleanse(encryptionKey, sizeof encryptionKey);
    OPENSSL_cleanse(masterRoundKeys, sizeof masterRoundKeys);
}

FastSrtpSender::~FastSrtpSender() {
    OPENSSL_cleanse(roundKeys_.data(), roundKeys_.size());
    OPENSSL_cleanse(sessionSalt_.data(), sessionSalt_.size());
    OPENSSL_cleanse(innerState_.data(), sizeof innerState_);
    OPENSSL_cleanse(outerState_.data(), sizeof outerState_);
}

LOA_AESNI size_t FastSrtpSender::protect(std::span<uint8_t> buffer, size_t length, uint32_t ssrc,
                                         uint64_t index) const {
    if (length > buffer.size() || buffer.size() - length < kTagLength) return 0;
    const auto rtp = RtpPacket::parse(buffer.first(length));
    if (!rtp || rtp->paddingSize() != 0 || rtp->sequence() != static_cast<uint16_t>(index)) return 0;

    // IV = (session salt << 16) ^ (SSRC << 64) ^ (index << 16), RFC 3711 §4.1.1: big-endian
    // SSRC in bytes 4-7, the 48-bit index in bytes 8-13.
    const __m128i mix = _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(index << 16)),
                                       static_cast<long long>(__builtin_bswap64(uint64_t{ssrc})));
    const __m128i iv = _mm_xor_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(sessionSalt_.data())), mix);
    counterMode(roundKeys_.data(), iv, buffer.data() + rtp->headerSize(), length - rtp->headerSize());

    // Tag = HMAC-SHA1(auth key, packet || ROC), the first 80 bits (RFC 3711 §4.2). The ROC goes
    // where the tag will be, so the hashed message is contiguous.
    const auto roc = __builtin_bswap32(static_cast<uint32_t>(index >> 16));
    std::memcpy(buffer.data() + length, &roc, sizeof roc);
    const auto inner = sha1Finish(innerState_, 1, buffer.data(), length + sizeof roc);
    const auto tag = sha1Finish(outerState_, 1, inner.data(), inner.size());
    std::memcpy(buffer.data() + length, tag.data(), kTagLength);
    return length + kTagLength;
}

}  // namespace loa
