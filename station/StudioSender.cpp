#include "StudioSender.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "common/Clock.hpp"
#include "common/Error.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {
namespace {
constexpr int kFrame = 960;
}

StudioSender::StudioSender(StudioOptions options, Generator generator, SentHook sent)
    : options_(std::move(options)),
      generator_(std::move(generator)),
      hook_(std::move(sent)),
      socket_(options_.destination.family() == AF_INET6 ? *SocketAddress::parse("[::1]:0")
                                                        : *SocketAddress::parse("127.0.0.1:0")),
      pcm_(kFrame) {
    if (options_.key) {
        initLibSrtp();
        srtp_.emplace(SrtpSession::Direction::outbound, options_.profile, *options_.key);
    }
    int error = 0;
    encoder_ = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error);
    if (error != OPUS_OK) throw Error(std::string("cannot create Opus encoder: ") + opus_strerror(error));
    opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(options_.bitrate));
    if (!generator_) {
        generator_ = [this](std::span<float> pcm, uint64_t) {
            const double step = 2 * std::numbers::pi * options_.toneHz / 48000;
            for (auto& x : pcm) {
                x = options_.amplitude * static_cast<float>(std::sin(phase_));
                phase_ = std::fmod(phase_ + step, 2 * std::numbers::pi);
            }
        };
    }
}

StudioSender::~StudioSender() {
    stop();
    opus_encoder_destroy(encoder_);
}

void StudioSender::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

void StudioSender::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
}

void StudioSender::run() {
    auto next = Clock::now();
    for (uint64_t index = 0; running_; ++index) {
        sleepUntil(next);
        sendFrame(index);
        next += std::chrono::milliseconds(20);
    }
}

void StudioSender::sendFrame(uint64_t index) {
    generator_(pcm_, index);
    RtpHeader h;
    h.payloadType = options_.payloadType;
    h.sequence = sequence_++;
    h.timestamp = timestamp_;
    timestamp_ += kFrame;
    h.ssrc = options_.ssrc;
    if (options_.priority) {
        h.extensionId = options_.extensionId;
        h.info.priority = options_.priority;
        h.info.rolloverCounter = 0;
    }
    uint8_t packet[1500];
    size_t length = writeRtpHeader(h, packet);
    const int n = opus_encode_float(encoder_, pcm_.data(), kFrame, packet + length, 1000);
    if (n <= 0) return;
    const size_t headerLength = length;
    length += static_cast<size_t>(n);
    std::array<uint8_t, 1000> opus;
    std::copy_n(packet + headerLength, n, opus.begin());
    if (srtp_ && srtp_->protectRtp(packet, length) != SrtpResult::ok) return;
    const auto now = Clock::now();
    if (socket_.sendTo({packet, length}, options_.destination)) {
        ++sent_;
        if (hook_) hook_(index, now, {opus.data(), static_cast<size_t>(n)});
    }
}

}  // namespace loa
