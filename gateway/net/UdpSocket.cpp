#include "net/UdpSocket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/Error.hpp"

namespace loa {

UdpSocket::UdpSocket(const SocketAddress& local, bool reuseAddress) {
    fd_ = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throwSystemError("cannot create UDP socket for " + local.toString(), errno);
    const int one = 1;
    if (reuseAddress) ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, local.sockaddrPtr(), local.length()) != 0) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        throwSystemError("cannot bind UDP " + local.toString(), err);
    }
}

UdpSocket::~UdpSocket() {
    if (fd_ >= 0) ::close(fd_);
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), oversized_(other.oversized_.exchange(0)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        oversized_ = other.oversized_.exchange(0);
    }
    return *this;
}

SocketAddress UdpSocket::localAddress() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

void UdpSocket::setMulticastSending(int ttl, const SocketAddress* interface, bool loop) {
    const int loopFlag = loop ? 1 : 0;
    if (::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
        ::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &loopFlag, sizeof loopFlag) != 0) {
        throwSystemError("cannot set multicast options", errno);
    }
    if (interface) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(interface->sockaddrPtr());
        if (::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &sin->sin_addr, sizeof sin->sin_addr) != 0) {
            throwSystemError("cannot send multicast on interface " + interface->host(), errno);
        }
    }
}

void UdpSocket::joinMulticast(const SocketAddress& group, const SocketAddress* interface) {
    ip_mreq request{};
    request.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(group.sockaddrPtr())->sin_addr;
    request.imr_interface.s_addr =
        interface ? reinterpret_cast<const sockaddr_in*>(interface->sockaddrPtr())->sin_addr.s_addr : htonl(INADDR_ANY);
    if (::setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) != 0) {
        throwSystemError("cannot join multicast group " + group.host(), errno);
    }
}

void UdpSocket::setBufferSizes(int sendBytes, int receiveBytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sendBytes, sizeof sendBytes);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receiveBytes, sizeof receiveBytes);
}

int UdpSocket::sendBatch(std::span<mmsghdr> messages) {
    if (messages.empty()) return 0;
    const int sent = ::sendmmsg(fd_, messages.data(), static_cast<unsigned>(messages.size()), MSG_DONTWAIT);
    if (sent >= 0) return sent;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -errno;
}

bool UdpSocket::sendTo(std::span<const uint8_t> datagram, const SocketAddress& to) {
    return ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT, to.sockaddrPtr(), to.length()) ==
           static_cast<ssize_t>(datagram.size());
}

ssize_t UdpSocket::receive(std::span<uint8_t> buffer, SocketAddress& from) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const ssize_t n =
        ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    if (static_cast<size_t>(n) > buffer.size()) {
        oversized_.fetch_add(1, std::memory_order_relaxed);
        return -EMSGSIZE;
    }
    from = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    return n;
}

}  // namespace loa
