#pragma once
// A reference studio encoder: Opus frames of a generated signal, sent as RTP or SRTP on its own
// absolute 20 ms clock, optionally marked with Loa's stream-info extension (a parent gateway's
// priority). Tests and loa-bench use it as the live feed of a gateway.

#include <opus/opus.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "net/UdpSocket.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

struct StudioOptions {
    SocketAddress destination;
    std::optional<std::vector<uint8_t>> key;  ///< SRTP master key || salt; none: plain RTP
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    uint32_t ssrc = 0x57ad10;
    uint8_t payloadType = 96;
    double toneHz = 600;
    float amplitude = 0.3f;
    uint8_t priority = 0;  ///< stream-info priority to mark packets with; 0: no extension
    uint8_t extensionId = 1;
    int bitrate = 32000;
};

class StudioSender {
public:
    using Clock = std::chrono::steady_clock;
    /// Fills one 20 ms frame of mono PCM for frame `index` (default: the tone).
    using Generator = std::function<void(std::span<float> pcm, uint64_t index)>;
    /// Told when frame `index` left, with the time it was sent and its Opus packet.
    using SentHook = std::function<void(uint64_t index, Clock::time_point sent, std::span<const uint8_t> opus)>;

    explicit StudioSender(StudioOptions options, Generator generator = {}, SentHook sent = {});
    ~StudioSender();
    StudioSender(const StudioSender&) = delete;
    StudioSender& operator=(const StudioSender&) = delete;

    /// Sends on its own thread from now on, one frame every 20 ms, until stop().
    void start();
    void stop();
    uint64_t framesSent() const { return sent_.load(); }

private:
    void run();
    void sendFrame(uint64_t index);

    StudioOptions options_;
    Generator generator_;
    SentHook hook_;
    UdpSocket socket_;
    std::optional<SrtpSession> srtp_;
    OpusEncoder* encoder_ = nullptr;
    std::vector<float> pcm_;
    uint16_t sequence_ = 1000;
    uint32_t timestamp_ = 90000;
    double phase_ = 0;
    std::atomic<uint64_t> sent_{0};
    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace loa
