#pragma once
// Test hosts in network namespaces (ip netns), joined by veth pairs, made and removed by the
// test itself. Needs root (CAP_NET_ADMIN), iproute2 and, for NAT and loss, nft.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace loa::test {

/// Runs a shell command; throws with the command if it fails.
inline void sh(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

/// Why network namespaces cannot be made here, or empty if they can.
inline std::string netnsUnavailable() {
    if (::geteuid() != 0) return "not root: network namespaces need CAP_NET_ADMIN";
    if (std::system("command -v ip >/dev/null 2>&1") != 0) return "no 'ip' (iproute2)";
    if (std::system("command -v nft >/dev/null 2>&1") != 0) return "no 'nft' (nftables)";
    const std::string probe = "loa-probe-" + std::to_string(::getpid());
    if (std::system(("ip netns add " + probe + " >/dev/null 2>&1").c_str()) != 0)
        return "'ip netns add' refused (no namespaces in this sandbox)";
    std::system(("ip netns del " + probe + " >/dev/null 2>&1").c_str());
    return {};
}

/// One host: a network namespace with loopback up, deleted with the object.
class NetNs {
public:
    explicit NetNs(std::string name) : name_(std::move(name)) {
        std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str());  // a leftover of a killed run
        sh("ip netns add " + name_);
        sh("ip -n " + name_ + " link set lo up");
    }
    ~NetNs() { std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str()); }
    NetNs(const NetNs&) = delete;
    NetNs& operator=(const NetNs&) = delete;

    const std::string& name() const { return name_; }
    /// Runs `command` inside this host.
    void run(const std::string& command) const { sh("ip netns exec " + name_ + " " + command); }
    /// The argument list that runs `args` inside this host.
    std::vector<std::string> exec(std::vector<std::string> args) const {
        args.insert(args.begin(), {"ip", "netns", "exec", name_});
        return args;
    }
    /// Calls `f` on a thread that has entered this host's network namespace (sockets it makes
    /// belong to this host), and waits for it.
    template <class F>
    void inside(F&& f) const {
        std::exception_ptr error;
        std::thread t([&] {
            try {
                const int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
                if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + name_);
                ::close(fd);
                f();
            } catch (...) {
                error = std::current_exception();
            }
        });
        t.join();
        if (error) std::rethrow_exception(error);
    }

private:
    std::string name_;
};

/// A veth pair between two hosts, with an address (CIDR) on each end.
inline void link(const NetNs& a, const std::string& aIf, const std::string& aAddress, const NetNs& b,
                 const std::string& bIf, const std::string& bAddress) {
    sh("ip link add " + aIf + " netns " + a.name() + " type veth peer name " + bIf + " netns " + b.name());
    sh("ip -n " + a.name() + " addr add " + aAddress + " dev " + aIf);
    sh("ip -n " + b.name() + " addr add " + bAddress + " dev " + bIf);
    sh("ip -n " + a.name() + " link set " + aIf + " up");
    sh("ip -n " + b.name() + " link set " + bIf + " up");
}

}  // namespace loa::test
