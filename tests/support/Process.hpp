#pragma once
// A child process for integration tests: spawned with its output in files, stopped by signal,
// always reaped (killed if still running when the object goes).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace loa::test {

class Process {
public:
    Process(std::vector<std::string> args, const std::filesystem::path& outFile, const std::filesystem::path& errFile)
        : out_(outFile), err_(errFile) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
    }
    ~Process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }

    void signal(int sig) const {
        if (pid_ > 0) ::kill(pid_, sig);
    }

    /// Waits up to `timeout` for the process to exit; returns its exit code, or -1 on timeout
    /// (or -signal if a signal ended it).
    int wait(std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (pid_ > 0) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() >= until) return -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return code_;
    }
    /// SIGTERM, then SIGKILL if it has not gone within `grace`; returns the exit code.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
        signal(SIGTERM);
        const int code = wait(grace);
        if (code == -1 && pid_ > 0) {
            signal(SIGKILL);
            return wait(std::chrono::seconds(5));
        }
        return code;
    }
    bool running() {
        if (pid_ <= 0) return false;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            return false;
        }
        return true;
    }
    std::string output() const { return slurp(out_); }
    std::string errors() const { return slurp(err_); }

    static std::string slurp(const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    pid_t pid_ = -1;
    int code_ = -1;
    std::filesystem::path out_, err_;
};

/// Starts a Process with extra environment variables, set for the child only.
inline std::unique_ptr<Process> spawnWithEnvironment(const std::vector<std::pair<std::string, std::string>>& variables,
                                                     std::vector<std::string> args,
                                                     const std::filesystem::path& outFile,
                                                     const std::filesystem::path& errFile) {
    for (const auto& [name, value] : variables)
        ::setenv(name.c_str(), value.c_str(), 1);
    auto process = std::make_unique<Process>(std::move(args), outFile, errFile);
    for (const auto& [name, value] : variables)
        ::unsetenv(name.c_str());
    return process;
}

}  // namespace loa::test
