#pragma once
// A non-blocking UDP socket, bound, owned (RAII). Sends in batches with sendmmsg.

#include <sys/socket.h>

#include <cstdint>
#include <span>

#include "net/SocketAddress.hpp"

namespace loa {

class UdpSocket {
public:
    /// Binds to `local`; throws loa::Error with the address and reason on failure.
    explicit UdpSocket(const SocketAddress& local);
    ~UdpSocket();
    UdpSocket(UdpSocket&& other) noexcept;
    UdpSocket& operator=(UdpSocket&& other) noexcept;
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    int fd() const { return fd_; }
    SocketAddress localAddress() const;
    /// Best effort: the kernel may cap it (net.core.wmem_max).
    void setBufferSizes(int sendBytes, int receiveBytes);

    /// Sends up to messages.size() datagrams; returns how many the kernel took (0 on EAGAIN),
    /// or -errno for an error that concerns the first message.
    int sendBatch(std::span<mmsghdr> messages);
    /// Receives one datagram; returns its length, 0 when none is waiting, or -errno.
    ssize_t receive(std::span<uint8_t> buffer, SocketAddress& from);

private:
    int fd_ = -1;
};

}  // namespace loa
