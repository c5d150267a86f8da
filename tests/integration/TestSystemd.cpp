// The gateway under a service manager, with this test in systemd's place: it listens on the
// notify socket (sd_notify(3)) and asks for a watchdog. The gateway says READY=1 once it serves,
// pings the watchdog only while its media thread advances (a stalled one is frozen here with
// ptrace, and the pings stop, so that systemd restarts it), and reports reloads and stopping.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>

#include "ConfigBuilder.hpp"
#include "Harness.hpp"
#include "Process.hpp"
#include "TestData.hpp"
#include "common/Error.hpp"
#include "net/UdpSocket.hpp"

using namespace loa::test;
using namespace std::chrono_literals;

namespace {

/// The service manager's end of $NOTIFY_SOCKET.
class NotifySocket {
public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("cannot bind " + path.string());
    }
    ~NotifySocket() { ::close(fd_); }

    /// The next message within `timeout`, or empty.
    std::string next(std::chrono::milliseconds timeout) {
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return {};
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
    }
    /// Waits up to `timeout` for a message containing `what`; the messages seen before it go to `seen`.
    bool waitFor(const std::string& what, std::chrono::milliseconds timeout, std::vector<std::string>* seen = nullptr) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            const std::string message = next(std::max(left, 1ms));
            if (message.find(what) != std::string::npos) return true;
            if (seen && !message.empty()) seen->push_back(message);
        }
        return false;
    }
    /// How many WATCHDOG=1 pings arrive over `span`.
    int pingsDuring(std::chrono::milliseconds span) {
        int pings = 0;
        const auto deadline = std::chrono::steady_clock::now() + span;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (next(std::max(left, 1ms)).find("WATCHDOG=1") != std::string::npos) ++pings;
        }
        return pings;
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

/// The id of the thread of `pid` named `name`, or 0.
pid_t threadNamed(pid_t pid, const std::string& name) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        std::string comm;
        std::getline(std::ifstream(task.path() / "comm"), comm);
        if (comm == name) return static_cast<pid_t>(std::stol(task.path().filename().string()));
    }
    return 0;
}

}  // namespace

TEST(Systemd, ReadinessWatchdogOnlyWhileTheMediaThreadAdvancesReloadAndStop) {
    TempDir dir;
    const uint16_t mediaPort = freeUdpPort();
    const auto config = writeConfig(dir.path(), mediaPort, {"a440.flac"}, {{"commune-1", freeUdpPort()}});
    NotifySocket manager(dir.path() / "notify");
    // The watchdog at 400 ms: the gateway must ping at least every 200 ms.
    auto gateway = spawnWithEnvironment({{"NOTIFY_SOCKET", (dir.path() / "notify").string()}, {"WATCHDOG_USEC", "400000"}},
                                        {LOA_GATEWAY_BIN, "--config", config.string()}, dir.path() / "gw.out",
                                        dir.path() / "gw.log");

    ASSERT_TRUE(manager.waitFor("READY=1", 20s)) << gateway->errors();
    // Ready means serving: the media port is taken.
    EXPECT_THROW(loa::UdpSocket(*loa::SocketAddress::parse("127.0.0.1:" + std::to_string(mediaPort))), loa::Error);
    EXPECT_GE(manager.pingsDuring(1200ms), 4);

    // Freeze the media thread alone (ptrace stops one thread, SIGSTOP would stop them all): the
    // main thread goes on, but must stop pinging.
    const pid_t media = threadNamed(gateway->pid(), "loa-media");
    ASSERT_NE(media, 0) << "no thread named loa-media";
    ASSERT_EQ(::ptrace(PTRACE_SEIZE, media, nullptr, nullptr), 0) << std::strerror(errno);
    ASSERT_EQ(::ptrace(PTRACE_INTERRUPT, media, nullptr, nullptr), 0) << std::strerror(errno);
    int status = 0;
    ASSERT_EQ(::waitpid(media, &status, __WALL), media);
    manager.pingsDuring(300ms);  // one may have been on its way
    const int whileFrozen = manager.pingsDuring(1200ms);
    ASSERT_EQ(::ptrace(PTRACE_DETACH, media, nullptr, nullptr), 0) << std::strerror(errno);
    EXPECT_EQ(whileFrozen, 0) << "the watchdog was fed by a gateway whose media thread stood still";
    EXPECT_GE(manager.pingsDuring(1200ms), 3) << "the pings did not resume";

    // A reload is announced and ends with READY=1 again.
    gateway->signal(SIGHUP);
    ASSERT_TRUE(manager.waitFor("RELOADING=1", 5s));
    ASSERT_TRUE(manager.waitFor("READY=1", 5s));

    gateway->signal(SIGTERM);
    ASSERT_TRUE(manager.waitFor("STOPPING=1", 5s));
    EXPECT_EQ(gateway->stop(), 0) << gateway->errors();
}
