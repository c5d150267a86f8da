// An independent SRTP receiver, GStreamer's srtpdec, plays Loa's stream given only what
// `loa-gateway keys` printed.

#include <gtest/gtest.h>

#include <regex>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"
#include "WavWriter.hpp"
#include "common/Base64.hpp"

using namespace loa::test;
using namespace std::chrono_literals;

namespace {
std::string field(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(pattern))) return {};
    return m[1];
}
}  // namespace

TEST(Interop, GStreamerSrtpdecPlaysTheToneFromWhatKeysPrinted) {
    TempDir dir;
    const uint16_t port = freeUdpPort();
    const auto config = writeConfig(dir.path(), freeUdpPort(), {"tone-1khz.wav"}, {{"peer", port}});

    const std::string keys = stationKeys(config, "peer", false);
    const auto key = loa::base64Decode(field(keys, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)"));
    const std::string ssrc = field(keys, "a=ssrc:([0-9]+)");
    const std::string sdpPort = field(keys, "m=audio ([0-9]+) RTP/SAVP");
    const std::string pt = field(keys, "m=audio [0-9]+ RTP/SAVP ([0-9]+)");
    ASSERT_TRUE(key && !ssrc.empty() && !pt.empty()) << keys;
    ASSERT_EQ(sdpPort, std::to_string(port));

    const auto wav = dir.path() / "peer.wav";
    // audiorate turns any hole in the arrival timeline into silence, so a gap shows in the WAV.
    const std::string caps =
        "application/x-srtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=" + pt + ",ssrc=(uint)" + ssrc +
        ",srtp-key=(buffer)" + loa::hexEncode(*key) +
        ",srtp-cipher=aes-128-icm,srtp-auth=hmac-sha1-80,srtcp-cipher=aes-128-icm,srtcp-auth=hmac-sha1-80";
    Process peer({"gst-launch-1.0",
                  "-e",
                  "udpsrc",
                  "address=127.0.0.1",
                  "port=" + sdpPort,
                  "caps=" + caps,
                  "!",
                  "srtpdec",
                  "!",
                  "rtpopusdepay",
                  "!",
                  "opusdec",
                  "!",
                  "audiorate",
                  "skip-to-first=true",
                  "tolerance=10000000",
                  "!",
                  "audioconvert",
                  "!",
                  "audio/x-raw,format=S16LE,channels=1,rate=48000",
                  "!",
                  "wavenc",
                  "!",
                  "filesink",
                  "location=" + wav.string()},
                 dir.path() / "peer.out", dir.path() / "peer.err");
    std::this_thread::sleep_for(700ms);  // let the peer bind its port
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(6s);
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    std::this_thread::sleep_for(300ms);
    peer.signal(SIGINT);  // -e: EOS first, so wavenc finishes the file
    ASSERT_EQ(peer.wait(10s), 0) << peer.output() << peer.errors();

    const auto audio = loa::readWav(wav);
    ASSERT_EQ(audio.sampleRate, 48000);
    ASSERT_GE(audio.samples.size(), 48000u * 5) << "the peer decoded less than 5 s";
    // Judge the body: leave out the first and last 100 ms (decoder start-up, stream end).
    const std::vector<float> body(audio.samples.begin() + 4800, audio.samples.end() - 4800);
    const std::vector<float> twoSeconds(body.begin(), body.begin() + 96000);
    EXPECT_NEAR(dominantFrequency(twoSeconds, 48000, 900, 1100), 1000.0, 5.0);
    EXPECT_LE(longestGapMs(body, 48000, 0.02f), 40.0);
}

TEST(Interop, GStreamerConfiguredFromKeysDecodesAStationsStreamAfterAGatewayRestart) {
    TempDir dir;
    const uint16_t port = freeUdpPort();
    const auto config = writeConfig(dir.path(), freeUdpPort(), {"tone-1khz.wav"}, {{"peer", port}});
    // A run, then the restart that moves the stream's rollover counter to 64: a standard receiver
    // starting at 0 would decode nothing.
    {
        Process first({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw0.out", dir.path() / "gw0.log");
        std::this_thread::sleep_for(1s);
        EXPECT_EQ(first.stop(), 0) << first.errors();
    }
    Process gateway({LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out", dir.path() / "gw.log");
    std::this_thread::sleep_for(500ms);
    const std::string keys = stationKeys(config, "peer", false);
    EXPECT_EQ(field(keys, "rollover counter: ([0-9]+)"), "64") << keys;
    const std::string caps = field(keys, "gstreamer caps: ([^\\n]+)");
    ASSERT_FALSE(caps.empty()) << keys;
    const auto wav = dir.path() / "peer.wav";
    // Exactly what keys printed, as the caps of udpsrc.
    Process peer({"gst-launch-1.0", "-e", "udpsrc", "address=127.0.0.1", "port=" + std::to_string(port), "caps=" + caps,
                  "!", "srtpdec", "!", "rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!",
                  "audio/x-raw,format=S16LE,channels=1,rate=48000", "!", "wavenc", "!", "filesink",
                  "location=" + wav.string()},
                 dir.path() / "peer.out", dir.path() / "peer.err");
    std::this_thread::sleep_for(4s);
    peer.signal(SIGINT);
    ASSERT_EQ(peer.wait(10s), 0) << peer.output() << peer.errors();
    EXPECT_EQ(gateway.stop(), 0) << gateway.errors();
    const auto audio = loa::readWav(wav);
    ASSERT_GE(audio.samples.size(), 48000u * 2) << "the peer decoded less than 2 s";
    const std::vector<float> body(audio.samples.begin() + 4800, audio.samples.begin() + 4800 + 48000);
    EXPECT_NEAR(dominantFrequency(body, 48000, 900, 1100), 1000.0, 5.0);
}
