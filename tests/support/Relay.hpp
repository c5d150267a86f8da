#pragma once
// A recording relay on loopback that is also a NAT: what reaches its inside port leaves from its
// outside port towards the receiver, and what comes back to the outside port goes to whoever
// last sent inside. Every datagram relayed towards the receiver is kept, in order: a capture of
// genuine traffic, to replay later from another address as an attacker would.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "net/SocketAddress.hpp"
#include "net/UdpSocket.hpp"

namespace loa::test {

class Relay {
public:
    explicit Relay(SocketAddress receiver);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    /// Where the sender sends (and what its SDP's a=rtcp or a gateway's station address names).
    uint16_t insidePort() const { return inside_.localAddress().port(); }
    /// The address the receiver sees the sender's datagrams come from.
    SocketAddress outsideAddress() const { return outside_.localAddress(); }
    /// Everything relayed towards the receiver so far.
    std::vector<std::vector<uint8_t>> captured();
    size_t capturedCount();

private:
    void run();

    SocketAddress receiver_;
    UdpSocket inside_, outside_;
    std::optional<SocketAddress> sender_;
    std::mutex mutex_;
    std::vector<std::vector<uint8_t>> captured_;
    std::atomic<bool> running_{true};
    std::thread thread_;
};

/// Sends `packets` to `to` from a socket of its own (another address than the genuine sender's),
/// one every `interval` (0: as fast as it can). Returns how many it sent.
size_t replay(const std::vector<std::vector<uint8_t>>& packets, const SocketAddress& to,
              std::chrono::microseconds interval);

}  // namespace loa::test
