#include "srtp/RolloverReservation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "common/Error.hpp"
#include "common/Log.hpp"

namespace loa {

RolloverReservation::RolloverReservation(std::filesystem::path file, uint32_t block)
    : file_(std::move(file)), block_(block) {
    std::ifstream in(file_);
    if (in) {
        unsigned long long value = 0;
        if (!(in >> value) || value > 0xffffffffull - 2ull * block_) {
            throw Error("SRTP rollover reservation " + file_.string() + " is unreadable or exhausted");
        }
        start_ = static_cast<uint32_t>(value);
    } else if (errno != ENOENT) {
        throwSystemError("cannot read " + file_.string(), errno);
    }
    persist(start_ + block_);
    warnIfRunningOut();
}

void RolloverReservation::warnIfRunningOut() const {
    if (limit() < kWarnFrom) return;
    LOA_LOG(warn, "srtp") << "SRTP key usage: " << static_cast<int>(used() * 100)
                          << "% of the packet index space of the current keys is used (" << file_.string()
                          << "); change the gateway secret and the station keys before it runs out";
}

bool RolloverReservation::extendIfNeeded(uint32_t highestInUse) {
    const uint32_t current = limit();
    if (uint64_t{highestInUse} + block_ / 4 < current) return true;
    if (current > 0xffffffffu - block_) {
        LOA_LOG(error, "srtp") << "SRTP key usage: the packet index space of the current keys is used up; the streams "
                                  "hold back rather than reuse an index until the keys are changed";
        return false;
    }
    try {
        persist(current + block_);
        warnIfRunningOut();
        return true;
    } catch (const std::exception& e) {
        LOA_LOG(error, "srtp") << e.what();
        return false;
    }
}

void RolloverReservation::persist(uint32_t limit) {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    const auto tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throwSystemError("cannot write " + tmp, errno);
    const std::string text = std::to_string(limit) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) throwSystemError("cannot write " + tmp, err);
    if (::rename(tmp.c_str(), file_.c_str()) != 0) throwSystemError("cannot replace " + file_.string(), errno);
    if (const int dir = ::open(file_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    limit_.store(limit, std::memory_order_release);
}

}  // namespace loa
