#pragma once
// A non-blocking UDP socket, bound, owned (RAII). Sends in batches with sendmmsg.

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <span>

#include "net/SocketAddress.hpp"

namespace loa {

/// The longest datagram a Loa peer sends or takes: an Ethernet MTU. Opus RTP with SRTP fits
/// well inside it; anything longer arriving at a gateway port is refused unread.
constexpr size_t kMaxDatagram = 1500;

class UdpSocket {
public:
    /// Binds to `local`; throws loa::Error with the address and reason on failure.
    explicit UdpSocket(const SocketAddress& local, bool reuseAddress = false);
    ~UdpSocket();
    UdpSocket(UdpSocket&& other) noexcept;
    UdpSocket& operator=(UdpSocket&& other) noexcept;
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    int fd() const { return fd_; }
    SocketAddress localAddress() const;
    /// For sending to IPv4 multicast groups: hop limit, outgoing interface (its address), and
    /// whether this host's own members hear it. Throws loa::Error on failure.
    void setMulticastSending(int ttl, const SocketAddress* interface, bool loop);
    /// Joins IPv4 `group` on the interface with address `interface` (any if null).
    void joinMulticast(const SocketAddress& group, const SocketAddress* interface);
    /// Best effort: the kernel may cap it (net.core.wmem_max).
    void setBufferSizes(int sendBytes, int receiveBytes);

    /// Sends up to messages.size() datagrams; returns how many the kernel took (0 on EAGAIN),
    /// or -errno for an error that concerns the first message.
    int sendBatch(std::span<mmsghdr> messages);
    /// Sends one datagram to `to`; true if the kernel took it.
    bool sendTo(std::span<const uint8_t> datagram, const SocketAddress& to);
    /// Waits up to `timeoutMs` for datagrams, then hands each one waiting (at most `max`) to
    /// `each(std::span<uint8_t> datagram, const SocketAddress& from)`, read into `buffer`.
    /// A datagram longer than `buffer` is dropped and counted (oversized()). Errors (such as an
    /// ICMP error for an earlier send) end the batch. Returns the count handed over.
    template <class Each>
    size_t receiveWaiting(std::span<uint8_t> buffer, int timeoutMs, size_t max, Each&& each) {
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, timeoutMs) <= 0) return 0;
        SocketAddress from;
        size_t count = 0;
        for (size_t read = 0; read < max; ++read) {
            const ssize_t n = receive(buffer, from);
            if (n == -EMSGSIZE) continue;
            if (n <= 0) break;
            each(buffer.first(static_cast<size_t>(n)), from);
            ++count;
        }
        return count;
    }
    /// Receives one datagram; returns its length, 0 when none is waiting, or -errno. A datagram
    /// longer than `buffer` is consumed, counted, and gives -EMSGSIZE: nothing truncated is used.
    ssize_t receive(std::span<uint8_t> buffer, SocketAddress& from);
    /// Datagrams dropped for being longer than the receive buffer.
    uint64_t oversized() const { return oversized_.load(std::memory_order_relaxed); }

private:
    int fd_ = -1;
    std::atomic<uint64_t> oversized_{0};
};

}  // namespace loa
