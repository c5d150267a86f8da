#pragma once
// A station the benchmarks listen with: on 127.0.0.1:port, on a thread of its own, it decrypts
// every packet of its stream and hands each packet's arrival and stream-info element (if any)
// to the benchmark.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "net/UdpSocket.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SenderRollover.hpp"

namespace loa::bench {

class ProbeStation {
public:
    using Clock = std::chrono::steady_clock;
    /// Called on the probe's thread for each authentic packet.
    using Heard = std::function<void(Clock::time_point, const std::optional<StreamInfo>&)>;

    ProbeStation(uint16_t port, const std::vector<uint8_t>& key, Heard heard)
        : socket_(*SocketAddress::parse("127.0.0.1:" + std::to_string(port))),
          srtp_(SrtpSession::Direction::inbound, SrtpProfile::aesCm128HmacSha1_80, key),
          heard_(std::move(heard)) {
        socket_.setBufferSizes(1 << 20, 1 << 20);
        thread_ = std::thread([this] { run(); });
    }
    ~ProbeStation() {
        running_ = false;
        thread_.join();
    }
    ProbeStation(const ProbeStation&) = delete;
    ProbeStation& operator=(const ProbeStation&) = delete;

private:
    void run() {
        uint8_t buffer[2048];
        while (running_) {
            socket_.receiveWaiting(buffer, 50, 64, [&](std::span<uint8_t> packet, const SocketAddress&) {
                const auto now = Clock::now();
                size_t length = packet.size();
                if (unprotectRtpFollowingSender(srtp_, packet, length, 1) != SrtpResult::ok) return;
                const auto rtp = RtpPacket::parse(packet.first(length));
                const auto ext = rtp ? rtp->oneByteExtension(1) : std::nullopt;
                heard_(now, ext ? StreamInfo::parse(*ext) : std::nullopt);
            });
        }
    }

    UdpSocket socket_;
    SrtpSession srtp_;
    Heard heard_;
    std::atomic<bool> running_{true};
    std::thread thread_;
};

}  // namespace loa::bench
