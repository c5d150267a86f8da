#include "net/UdpSocket.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/Error.hpp"

namespace loa {

UdpSocket::UdpSocket(const SocketAddress& local) {
    fd_ = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throwSystemError("cannot create UDP socket for " + local.toString(), errno);
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

UdpSocket::UdpSocket(UdpSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

SocketAddress UdpSocket::localAddress() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
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

ssize_t UdpSocket::receive(std::span<uint8_t> buffer, SocketAddress& from) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const ssize_t n =
        ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    from = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    return n;
}

}  // namespace loa
