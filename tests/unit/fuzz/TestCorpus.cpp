#include <gtest/gtest.h>

#include <filesystem>

#include "FuzzTargets.hpp"
#include "TestData.hpp"
#include "rtp/Rtcp.hpp"
#include "rtp/RtpPacket.hpp"

using namespace loa;

// Every input kept for a fuzz target (seeds, and any input that once crashed one) goes through
// that target again on every test run.
TEST(FuzzCorpus, EveryKeptInputPassesThroughItsTargetAgain) {
    const auto root = test::sourceDir() / "tests/fuzz/corpus";
    size_t inputs = 0;
    for (const auto& dir : std::filesystem::directory_iterator(root)) {
        const auto target = fuzz::byName(dir.path().filename().string());
        ASSERT_NE(target, nullptr) << "no fuzz target for " << dir.path();
        for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
            SCOPED_TRACE(file.path().string());
            target(test::readBytes(file.path()));
            ++inputs;
        }
    }
    EXPECT_GE(inputs, 10u);
}

TEST(RoundTrip, AnRtpHeaderWrittenAndParsedGivesItsFieldsBack) {
    RtpHeader h;
    h.payloadType = 96;
    h.marker = true;
    h.sequence = 65535;
    h.timestamp = 0xfedcba98;
    h.ssrc = 0x12345678;
    h.extensionId = 3;
    h.info = {1, 0x01020304, std::nullopt};
    uint8_t buffer[64];
    const size_t n = writeRtpHeader(h, buffer);
    buffer[n] = 0x42;  // a one-byte payload
    const auto p = RtpPacket::parse({buffer, n + 1});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->payloadType(), 96);
    EXPECT_TRUE(p->marker());
    EXPECT_EQ(p->sequence(), 65535);
    EXPECT_EQ(p->timestamp(), 0xfedcba98u);
    EXPECT_EQ(p->ssrc(), 0x12345678u);
    const auto info = StreamInfo::parse(*p->oneByteExtension(3));
    ASSERT_TRUE(info);
    EXPECT_EQ(info->priority, 1);
    EXPECT_EQ(info->rolloverCounter, 0x01020304u);
    RtpHeader again;
    again.payloadType = p->payloadType();
    again.marker = p->marker();
    again.sequence = p->sequence();
    again.timestamp = p->timestamp();
    again.ssrc = p->ssrc();
    again.extensionId = 3;
    again.info = *info;
    uint8_t rewritten[64];
    ASSERT_EQ(writeRtpHeader(again, rewritten), n);
    EXPECT_TRUE(std::equal(buffer, buffer + n, rewritten)) << "parse then write gives back the same bytes";
}

TEST(RoundTrip, AReceiverReportWrittenAndParsedIsTheSameBytesAgain) {
    ReceiverReport r{0x11223344, true, 0x55667788, 12, -3, 0x00010203, 480};
    uint8_t first[64], second[64];
    const size_t n = writeReceiverReport(r, first);
    const auto parsed = parseReceiverReport({first, n});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->cumulativeLost, -3);
    ASSERT_EQ(writeReceiverReport(*parsed, second), n);
    EXPECT_TRUE(std::equal(first, first + n, second));
}
