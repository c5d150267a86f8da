#include "LatencyBench.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numbers>
#include <sstream>
#include <thread>

#include "Child.hpp"
#include "Measure.hpp"
#include "StudioSender.hpp"
#include "common/Base64.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"

namespace loa::bench {
namespace {
using Clock = std::chrono::steady_clock;
constexpr int kFrame = 960;
constexpr double kMsPerSample = 1000.0 / 48000;
/// A 2 kHz burst of 40 ms every 25 frames, its start moving through the frame from burst to burst.
constexpr int kBurstEvery = 25;
constexpr int kBurstSamples = 1920;
constexpr int kFirstBurstFrame = 150;  // after 3 s: the live feed is on air by then

/// Start sample (in the studio's signal) of burst `b`: 7.3 ms further into its frame each time.
int64_t burstStart(int64_t b) {
    return (kFirstBurstFrame + b * kBurstEvery) * int64_t{kFrame} + (b * 350) % kFrame;
}

/// Where the decoded `audio` rises into a burst: the first sample above the threshold after at
/// least 200 ms below it.
std::vector<int64_t> onsets(const std::vector<float>& audio) {
    std::vector<int64_t> out;
    int64_t quietSince = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(audio.size()); ++i) {
        if (std::abs(audio[static_cast<size_t>(i)]) < 0.1f) continue;
        if (i - quietSince >= 9600) out.push_back(i);
        quietSince = i;
    }
    return out;
}

struct Stream {
    std::vector<Clock::time_point> times;  ///< per packet: sent (studio) or received (station)
    std::vector<float> audio;              ///< decoded, 960 samples per packet
};

struct ModeResult {
    std::string mode;
    size_t bursts = 0, matched = 0;
    std::vector<double> total, frameDelay, inFrameShift;
    uint64_t studioPackets = 0, stationPackets = 0, stationLost = 0;
};

ModeResult runMode(const std::string& mode, const LatencyBenchOptions& o) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("loa-latency-" + std::to_string(::getpid()) + "-" + mode);
    std::filesystem::create_directories(dir);
    const uint16_t media = freeLoopbackPort(), live = freeLoopbackPort(), stationPort = freeLoopbackPort();
    const std::vector<uint8_t> studioKey(30, 0x4c), stationKey(30, 0x53);
    const std::string segments = std::string(LOA_SOURCE_DIR) + "/config/segments/";
    std::ofstream(dir / "gateway.yaml")
        << "gateway:\n  id: latency\n  state_dir: state\n  media:\n    listen: 127.0.0.1:" << media
        << "\n  fanout:\n    pacing_ms: 0\n"
        << "programmes:\n  - id: national\n    encoder:\n      application: " << mode
        << "\n    live:\n      listen: 127.0.0.1:" << live << "\n      key: " << base64Encode(studioKey)
        << "\n      jitter_ms: " << o.jitterMs
        << "\n      return_ms: 200\n      silence_s: 0\n      duck: {gain_db: -40, attack_ms: 50, release_ms: 200}\n"
        << "    playlist:\n      files: [" << segments << "a440.flac, " << segments << "e660.mp3]\n"
        << "stations:\n  - id: probe\n    programme: national\n    address: 127.0.0.1:" << stationPort
        << "\n    key: " << base64Encode(stationKey) << "\n";

    // The station: every packet timestamped on arrival, decoded in order.
    Stream station;
    std::atomic<bool> receiving{true};
    uint64_t stationLost = 0;
    std::thread receiver([&] {
        UdpSocket socket(*SocketAddress::parse("127.0.0.1:" + std::to_string(stationPort)));
        socket.setBufferSizes(1 << 20, 1 << 20);
        SrtpSession srtp(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, stationKey);
        int error = 0;
        OpusDecoder* decoder = opus_decoder_create(48000, 1, &error);
        std::vector<float> pcm(5760);
        std::optional<uint16_t> expected;
        uint8_t buffer[2048];
        while (receiving) {
            socket.receiveWaiting(buffer, 50, 64, [&](std::span<uint8_t> packet, const SocketAddress&) {
                const auto now = Clock::now();
                size_t length = packet.size();
                if (unprotectRtpFollowingSender(srtp, packet, length, 1) != SrtpResult::ok) return;
                const auto rtp = RtpPacket::parse(packet.first(length));
                if (!rtp) return;
                for (; expected && *expected != rtp->sequence(); ++*expected) {  // lost: conceal its turn
                    ++stationLost;
                    if (opus_decode_float(decoder, nullptr, 0, pcm.data(), kFrame, 0) != kFrame)
                        std::fill_n(pcm.begin(), kFrame, 0.0f);
                    station.audio.insert(station.audio.end(), pcm.begin(), pcm.begin() + kFrame);
                    station.times.push_back(now);
                }
                expected = static_cast<uint16_t>(rtp->sequence() + 1);
                const int samples =
                    opus_decode_float(decoder, rtp->payload().data(), static_cast<opus_int32>(rtp->payload().size()),
                                      pcm.data(), 5760, 0);
                if (samples != kFrame) return;
                station.audio.insert(station.audio.end(), pcm.begin(), pcm.begin() + kFrame);
                station.times.push_back(now);
            });
        }
        opus_decoder_destroy(decoder);
    });

    const pid_t gateway =
        spawn({o.gateway, "--config", (dir / "gateway.yaml").string()}, (dir / "gateway.log").string());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));

    // The studio: silence with bursts; what it sent is decoded here too, as the reference.
    Stream studio;
    std::mutex studioMutex;
    OpusDecoder* reference = nullptr;
    int error = 0;
    reference = opus_decoder_create(48000, 1, &error);
    StudioOptions so;
    so.destination = *SocketAddress::parse("127.0.0.1:" + std::to_string(live));
    so.key = studioKey;
    so.bitrate = 64000;
    StudioSender sender(
        so,
        [](std::span<float> pcm, uint64_t index) {
            const int64_t first = static_cast<int64_t>(index) * kFrame;
            for (int i = 0; i < kFrame; ++i) {
                const int64_t n = first + i;
                const int64_t sinceStart = n - burstStart((n / kFrame - kFirstBurstFrame) / kBurstEvery);
                const bool inBurst = n / kFrame >= kFirstBurstFrame && sinceStart >= 0 && sinceStart < kBurstSamples;
                pcm[static_cast<size_t>(i)] =
                    inBurst ? 0.5f * static_cast<float>(std::sin(2 * std::numbers::pi * 2000 *
                                                                 static_cast<double>(sinceStart) / 48000))
                            : 0.0f;
            }
        },
        [&](uint64_t, Clock::time_point sent, std::span<const uint8_t> opus) {
            std::vector<float> pcm(5760);
            const int samples =
                opus_decode_float(reference, opus.data(), static_cast<opus_int32>(opus.size()), pcm.data(), 5760, 0);
            std::lock_guard lock(studioMutex);
            studio.audio.insert(studio.audio.end(), pcm.begin(), pcm.begin() + std::max(samples, 0));
            studio.times.push_back(sent);
        });
    sender.start();
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds + kFirstBurstFrame * 0.02));
    sender.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(gateway, SIGTERM);
    waitChild(gateway, std::chrono::seconds(10));
    receiving = false;
    receiver.join();
    opus_decoder_destroy(reference);

    ModeResult r;
    r.mode = mode;
    r.studioPackets = studio.times.size();
    r.stationPackets = station.times.size();
    r.stationLost = stationLost;
    const auto in = onsets(studio.audio), out = onsets(station.audio);
    r.bursts = in.size();
    // Each station onset answers the latest studio onset before it (bursts are 500 ms apart).
    auto timeOf = [](const Stream& s, int64_t sample) {
        const auto packet = static_cast<size_t>(sample / kFrame);
        return s.times[packet] + std::chrono::nanoseconds(
                                     static_cast<int64_t>(static_cast<double>(sample % kFrame) * kMsPerSample * 1e6));
    };
    size_t k = 0;
    for (int64_t q : out) {
        if (static_cast<size_t>(q / kFrame) >= station.times.size()) break;
        const auto tOut = timeOf(station, q);
        while (k + 1 < in.size() && timeOf(studio, in[k + 1]) <= tOut)
            ++k;
        if (k >= in.size() || timeOf(studio, in[k]) > tOut) continue;
        const double total = std::chrono::duration<double, std::milli>(tOut - timeOf(studio, in[k])).count();
        if (total > 400) continue;  // no studio burst answers this onset
        ++r.matched;
        r.total.push_back(total);
        const auto packetIn = studio.times[static_cast<size_t>(in[k] / kFrame)];
        const auto packetOut = station.times[static_cast<size_t>(q / kFrame)];
        r.frameDelay.push_back(std::chrono::duration<double, std::milli>(packetOut - packetIn).count());
        r.inFrameShift.push_back(static_cast<double>(q % kFrame - in[k] % kFrame) * kMsPerSample);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return r;
}
}  // namespace

int runLatencyBench(const LatencyBenchOptions& o) {
    std::vector<ModeResult> results;
    for (const auto& mode : o.modes) {
        std::fprintf(stderr, "latency: encoder application %s, %.0f s...\n", mode.c_str(), o.seconds);
        results.push_back(runMode(mode, o));
    }
    std::ostringstream md, json;
    md << "| encoder | bursts | matched | added latency p50 | p99 | max | packet to packet p50 | p99 | shift in frame "
          "p50 |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    json << "{\n  \"jitter_ms\": " << o.jitterMs << ",\n  \"seconds\": " << o.seconds << ",\n  \"modes\": [";
    for (size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        char line[512];
        std::snprintf(line, sizeof line,
                      "| %s | %zu | %zu | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n",
                      r.mode.c_str(), r.bursts, r.matched, quantile(r.total, 0.5), quantile(r.total, 0.99),
                      quantile(r.total, 1.0), quantile(r.frameDelay, 0.5), quantile(r.frameDelay, 0.99),
                      quantile(r.inFrameShift, 0.5));
        md << line;
        json << (i ? "," : "") << "\n    {\"mode\": \"" << r.mode << "\", \"bursts\": " << r.bursts
             << ", \"matched\": " << r.matched << ", \"p50_ms\": " << quantile(r.total, 0.5)
             << ", \"p99_ms\": " << quantile(r.total, 0.99) << ", \"max_ms\": " << quantile(r.total, 1.0)
             << ", \"packet_to_packet_p50_ms\": " << quantile(r.frameDelay, 0.5)
             << ", \"packet_to_packet_p99_ms\": " << quantile(r.frameDelay, 0.99)
             << ", \"shift_in_frame_p50_ms\": " << quantile(r.inFrameShift, 0.5)
             << ", \"studio_packets\": " << r.studioPackets << ", \"station_packets\": " << r.stationPackets
             << ", \"station_lost\": " << r.stationLost << "}";
    }
    json << "\n  ]\n}\n";
    std::fputs(md.str().c_str(), stdout);
    if (!o.outDir.empty()) {
        std::filesystem::create_directories(o.outDir);
        std::ofstream(std::filesystem::path(o.outDir) / "latency.json") << json.str();
        std::ofstream(std::filesystem::path(o.outDir) / "latency.md") << md.str();
    }
    return 0;
}

}  // namespace loa::bench
