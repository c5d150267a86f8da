#include "srtp/IndexReservation.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "common/Error.hpp"
#include "common/Log.hpp"

namespace loa {

// The file holds "LIMIT START": every value below LIMIT may have been used; START is the first
// value of the latest run (older files hold LIMIT only).
IndexReservation::IndexReservation(std::filesystem::path file, uint32_t block, uint32_t end, uint32_t atLeast,
                                   std::string what)
    : file_(std::move(file)), block_(block), end_(end), what_(std::move(what)) {
    std::ifstream in(file_);
    if (in) {
        unsigned long long value = 0;
        if (!(in >> value) || value > uint64_t{end_} - 2ull * block_) {
            throw Error("the reservation of " + what_ + " in " + file_.string() + " is unreadable or exhausted");
        }
        start_ = static_cast<uint32_t>(value);
    } else if (errno != ENOENT) {
        throwSystemError("cannot read " + file_.string(), errno);
    }
    if (atLeast > start_) {
        if (uint64_t{atLeast} > uint64_t{end_} - 2ull * block_)
            throw Error("the reservation of " + what_ + " in " + file_.string() + " is exhausted");
        start_ = atLeast;
    }
    persist(start_ + block_);
    warnIfRunningOut();
}

std::optional<uint32_t> IndexReservation::latestStart(const std::filesystem::path& file) {
    std::ifstream in(file);
    unsigned long long limit = 0, start = 0;
    if (!(in >> limit >> start) || start > 0xffffffffull) return std::nullopt;
    return static_cast<uint32_t>(start);
}

void IndexReservation::warnIfRunningOut() const {
    if (limit() < warnFrom()) return;
    LOA_LOG(warn, "srtp") << "key usage: " << static_cast<int>(used() * 100) << "% of the " << what_
                          << " of the current keys are used (" << file_.string()
                          << "); change the keys before they run out";
}

bool IndexReservation::extendIfNeeded(uint32_t highestInUse) {
    const uint32_t current = limit();
    if (uint64_t{highestInUse} + block_ / 4 < current) return true;
    if (uint64_t{current} + block_ > end_) {
        LOA_LOG(error, "srtp") << "key usage: the " << what_
                               << " of the current keys are used up; the senders hold back rather than reuse one "
                                  "until the keys are changed";
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

void IndexReservation::persist(uint32_t limit) {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    const auto tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throwSystemError("cannot write " + tmp, errno);
    const std::string text = std::to_string(limit) + " " + std::to_string(start_) + "\n";
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
