#include "Relay.hpp"

#include <poll.h>

#include <chrono>

namespace loa::test {

Relay::Relay(SocketAddress receiver)
    : receiver_(receiver),
      inside_(*SocketAddress::parse("127.0.0.1:0")),
      outside_(*SocketAddress::parse("127.0.0.1:0")) {
    inside_.setBufferSizes(1 << 20, 1 << 20);
    outside_.setBufferSizes(1 << 20, 1 << 20);
    thread_ = std::thread([this] { run(); });
}

Relay::~Relay() {
    running_ = false;
    thread_.join();
}

std::vector<std::vector<uint8_t>> Relay::captured() {
    std::lock_guard lock(mutex_);
    return captured_;
}

size_t Relay::capturedCount() {
    std::lock_guard lock(mutex_);
    return captured_.size();
}

void Relay::run() {
    uint8_t buffer[2048];
    SocketAddress from;
    while (running_) {
        pollfd fds[2] = {{inside_.fd(), POLLIN, 0}, {outside_.fd(), POLLIN, 0}};
        if (::poll(fds, 2, 20) <= 0) continue;
        for (ssize_t n; (n = inside_.receive(buffer, from)) > 0;) {
            sender_ = from;
            {
                std::lock_guard lock(mutex_);
                captured_.emplace_back(buffer, buffer + n);
            }
            outside_.sendTo({buffer, static_cast<size_t>(n)}, receiver_);
        }
        for (ssize_t n; (n = outside_.receive(buffer, from)) > 0;) {
            if (sender_) inside_.sendTo({buffer, static_cast<size_t>(n)}, *sender_);
        }
    }
}

size_t replay(const std::vector<std::vector<uint8_t>>& packets, const SocketAddress& to,
              std::chrono::microseconds interval) {
    UdpSocket attacker(*SocketAddress::parse("127.0.0.1:0"));
    auto next = std::chrono::steady_clock::now();
    size_t sent = 0;
    for (const auto& p : packets) {
        if (interval.count()) {
            std::this_thread::sleep_until(next);
            next += interval;
        }
        if (attacker.sendTo(p, to)) ++sent;
    }
    return sent;
}

}  // namespace loa::test
