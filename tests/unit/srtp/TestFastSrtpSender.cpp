#include <gtest/gtest.h>

#include <random>

#include "common/Error.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/FastSrtpSender.hpp"
#include "srtp/SrtpSession.hpp"

#include <openssl/sha.h>

using namespace loa;

namespace {
/// An RTP packet: header (with `csrcs` CSRCs and, if asked, the stream-info extension), payload.
std::vector<uint8_t> packet(std::mt19937& rng, uint16_t seq, uint32_t ssrc, size_t payload, int csrcs, bool extension) {
    RtpHeader h;
    h.payloadType = 96;
    h.sequence = seq;
    h.timestamp = static_cast<uint32_t>(rng());
    h.ssrc = ssrc;
    h.extensionId = extension ? 1 : 0;
    h.info.priority = 2;
    std::vector<uint8_t> buf(1600, 0);
    size_t n = writeRtpHeader(h, buf);
    if (csrcs) {
        // Insert CSRCs after the fixed header: shift the rest and set CC.
        std::vector<uint8_t> rest(buf.begin() + 12, buf.begin() + static_cast<long>(n));
        buf[0] = static_cast<uint8_t>(buf[0] | csrcs);
        for (int i = 0; i < csrcs * 4; ++i)
            buf[12 + static_cast<size_t>(i)] = static_cast<uint8_t>(static_cast<uint32_t>(rng()));
        std::copy(rest.begin(), rest.end(), buf.begin() + 12 + csrcs * 4);
        n += static_cast<size_t>(csrcs) * 4;
    }
    for (size_t i = 0; i < payload; ++i)
        buf[n + i] = static_cast<uint8_t>(static_cast<uint32_t>(rng()));
    buf.resize(n + payload + 16);
    return buf;
}
}  // namespace

TEST(FastSrtpSender, GivesTheSameBytesAsLibsrtp) {
    if (!FastSrtpSender::supported()) GTEST_SKIP() << "this CPU has no AES-NI; the fan-out uses libsrtp";
    std::mt19937 rng(1234);
    int cases = 0;
    for (int round = 0; round < 200; ++round) {
        std::vector<uint8_t> key(30);
        for (auto& b : key)
            b = static_cast<uint8_t>(static_cast<uint32_t>(rng()));
        const uint32_t ssrc = static_cast<uint32_t>(rng());
        const uint32_t roc = round % 4 == 0 ? 0 : static_cast<uint32_t>(rng()) % 5000;
        const uint16_t seq = static_cast<uint16_t>(round % 7 == 0 ? 65535 : static_cast<uint32_t>(rng()));
        const size_t payload =
            round < 20 ? static_cast<size_t>(round) : static_cast<uint32_t>(rng()) % 1300;  // 0..19 bytes, then any
        const int csrcs = round % 5 == 0 ? static_cast<int>(static_cast<uint32_t>(rng()) % 4) : 0;
        const bool extension = round % 3 != 0;

        FastSrtpSender fast(key);
        SrtpSession reference(SrtpSession::Direction::outbound, SrtpProfile::aesCm128HmacSha1_80, key, ssrc);
        ASSERT_EQ(reference.setRolloverCounter(ssrc, roc), SrtpResult::ok);

        // Two consecutive packets, so the second also checks the reference's own index tracking.
        for (int k = 0; k < 2; ++k) {
            const uint16_t s = static_cast<uint16_t>(seq + k);
            const uint64_t index = ((uint64_t{roc} << 16) | seq) + static_cast<uint64_t>(k);
            auto a = packet(rng, s, ssrc, payload, csrcs, extension);
            auto b = a;
            const size_t plain = a.size() - 16;
            size_t referenceLength = plain;
            ASSERT_EQ(reference.protectRtp(b, referenceLength), SrtpResult::ok);
            const size_t fastLength = fast.protect(a, plain, ssrc, index);
            ASSERT_EQ(fastLength, referenceLength) << "round " << round;
            ASSERT_EQ(std::vector<uint8_t>(a.begin(), a.begin() + static_cast<long>(fastLength)),
                      std::vector<uint8_t>(b.begin(), b.begin() + static_cast<long>(referenceLength)))
                << "round " << round << " packet " << k << ": roc " << roc << " seq " << s << " payload " << payload;
            ++cases;
        }
    }
    EXPECT_EQ(cases, 400);
}

TEST(FastSrtpSender, ALibsrtpReceiverAuthenticatesWhatItSends) {
    if (!FastSrtpSender::supported()) GTEST_SKIP() << "this CPU has no AES-NI";
    const std::vector<uint8_t> key(30, 0x42);
    FastSrtpSender fast(key);
    SrtpSession receiver(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, key);
    std::mt19937 rng(7);
    ASSERT_EQ(receiver.setRolloverCounter(99, 3), SrtpResult::ok);
    for (uint16_t seq = 10; seq < 20; ++seq) {
        auto p = packet(rng, seq, 99, 120, 0, true);
        const size_t n = fast.protect(p, p.size() - 16, 99, (uint64_t{3} << 16) | seq);
        ASSERT_GT(n, 0u);
        size_t length = n;
        EXPECT_EQ(receiver.unprotectRtp(p, length), SrtpResult::ok) << "seq " << seq;
    }
}

TEST(FastSrtpSender, RefusesWhatItCannotProtect) {
    if (!FastSrtpSender::supported()) GTEST_SKIP() << "this CPU has no AES-NI";
    FastSrtpSender fast(std::vector<uint8_t>(30, 1));
    std::mt19937 rng(1);
    auto p = packet(rng, 5, 1, 50, 0, true);
    EXPECT_EQ(fast.protect(p, p.size() - 16, 1, 6), 0u);               // index does not match the sequence
    EXPECT_EQ(fast.protect(p, p.size() - 5, 1, 5), 0u);                // no room for the tag
    EXPECT_EQ(fast.protect(std::span(p).first(8), 8, 1, 5), 0u);       // not RTP
    EXPECT_THROW(FastSrtpSender(std::vector<uint8_t>(29, 1)), Error);  // wrong key length
}

TEST(FastSrtpSender, Sha1MatchesOpenSslForEveryTailLength) {
    // Every length from 0 to 200 bytes crosses each padding case (the length fits in the last
    // block, or needs one more), after a whole prefix block as HMAC has it.
    std::mt19937 rng(99);
    std::vector<uint8_t> data(64 + 200);
    for (auto& b : data)
        b = static_cast<uint8_t>(static_cast<uint32_t>(rng()));
    Sha1State prefix = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    sha1Blocks(prefix, data.data(), 1);
    for (size_t length = 0; length <= 200; ++length) {
        std::array<uint8_t, 20> expected{};
        SHA1(data.data(), 64 + length, expected.data());
        EXPECT_EQ(sha1Finish(prefix, 1, data.data() + 64, length), expected) << "length " << length;
    }
    // Several whole blocks in one call, from the initial state.
    std::array<uint8_t, 20> expected{};
    SHA1(data.data(), 192, expected.data());
    EXPECT_EQ(sha1Finish({0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}, 0, data.data(), 192), expected);
    RecordProperty("sha_instructions", FastSrtpSender::hasShaInstructions() ? "yes" : "no");
}

TEST(FastSrtpSender, BothSha1BlockFunctionsAgree) {
    // The SHA-instruction path against OpenSSL's transform (the fallback on CPUs without them).
    std::mt19937 rng(5);
    std::vector<uint8_t> data(64 * 9);
    for (auto& b : data)
        b = static_cast<uint8_t>(static_cast<uint32_t>(rng()));
    for (size_t blocks = 1; blocks <= 9; ++blocks) {
        Sha1State a = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, static_cast<uint32_t>(rng())};
        Sha1State b = a;
        sha1Blocks(a, data.data(), blocks);
        sha1BlocksWithOpenSsl(b, data.data(), blocks);
        EXPECT_EQ(a, b) << blocks << " blocks";
    }
}
