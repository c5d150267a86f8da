#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cmath>
#include <vector>

#include "JitterDecoder.hpp"
#include "common/Error.hpp"
#include "settings/Settings.hpp"

namespace loa {
namespace {

std::vector<uint8_t> opusFrame(float hz) {
    int error = 0;
    OpusEncoder* encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error);
    std::vector<float> pcm(960);
    for (size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * hz * static_cast<double>(i) / 48000));
    std::vector<uint8_t> out(1500);
    const int n = opus_encode_float(encoder, pcm.data(), 960, out.data(), static_cast<opus_int32>(out.size()));
    opus_encoder_destroy(encoder);
    out.resize(static_cast<size_t>(std::max(n, 0)));
    return out;
}

TEST(JitterDecoder, EachIngestCodecHasADecoderThatPlaysAndConceals) {
    for (const auto codec : kIngestCodecs) {
        auto decoder = makeJitterDecoder(codec, 1);
        ASSERT_NE(decoder, nullptr) << codec;
        JitterBuffer jitter(16);
        const auto frame = opusFrame(440);
        jitter.insert(1, frame);
        std::vector<float> out(JitterDecoder::kMaxPacketSamples);
        EXPECT_EQ(decoder->playNext(jitter, out), 960) << codec;
        EXPECT_EQ(decoder->counters().decoded, 1u) << codec;
        EXPECT_EQ(decoder->conceal(out, 960), 960) << codec;
        decoder->reset();
    }
}

TEST(JitterDecoder, AnUnknownCodecIsRefusedByNameAndByTheConfig) {
    EXPECT_THROW(makeJitterDecoder("pcmu", 1), Error);
    const std::string yaml = R"(gateway: {id: gw, state_dir: /tmp/loa-unused, media: {listen: 127.0.0.1:5004}}
programmes:
  - id: p
    live: {listen: 127.0.0.1:5006, allow_plain_rtp: true, codec: pcmu}
)";
    try {
        (void)parseSettings(yaml, "/tmp/codec.yaml");
        FAIL() << "a codec Loa cannot decode was accepted";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.key(), "programmes[0].live.codec");
        EXPECT_NE(std::string(e.what()).find("opus"), std::string::npos) << e.what();
    }
    EXPECT_EQ(parseSettings(std::string(yaml).replace(yaml.find("pcmu"), 4, "opus"), "/tmp/codec.yaml")
                  .programmes[0]
                  .live->codec,
              "opus");
}

}  // namespace
}  // namespace loa
