#pragma once
// Child processes of the benchmarks: started with posix_spawn, waited for with a time limit.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api/HttpClient.hpp"
#include "common/Error.hpp"

extern char** environ;

namespace loa::bench {

/// Starts `args` (args[0] a path) with stdout and stderr into `log`; throws loa::Error.
inline pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error("cannot start " + args[0]);
    return pid;
}

/// Starts `args` found on PATH, output inherited; -1 if it cannot.
inline pid_t posix_spawnp_wrapper(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    return posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0 ? pid : -1;
}

/// Waits up to `timeout` for `pid` to exit: its exit code, or -1 (killed after the timeout).
inline int waitChild(pid_t pid, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
}

/// Stops a benchmark's gateway (SIGTERM, then SIGKILL after `limit`) and removes its directory.
inline void stopGateway(pid_t gateway, const std::filesystem::path& dir, std::chrono::seconds limit) {
    kill(gateway, SIGTERM);
    waitChild(gateway, limit);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

/// Waits (up to 5 s) until the gateway's API answers; false if it never does.
inline bool waitForApi(const HttpTarget& target) {
    for (int i = 0; i < 100; ++i) {
        try {
            if (httpRequest(target, "GET", "/api/status").status == 200) return true;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace loa::bench
