#pragma once
// A request the control rules refuse, and why, in the domain's words: the API maps each reason
// to its HTTP status (api/RequestError.hpp), a CLI or a parent link to theirs.

#include <string>

#include "common/Error.hpp"

namespace loa {

enum class RefusalReason {
    invalid,    ///< the request itself is wrong: a bad field, a target that matches nothing
    forbidden,  ///< the actor's role may not do this, or it needs another actor (two-person rule)
    notFound,   ///< what it names does not exist
    conflict,   ///< it clashes with the current state (already exists, already ended, no slot)
};

class Refusal : public Error {
public:
    Refusal(RefusalReason reason, const std::string& what) : Error(what), reason_(reason) {}
    RefusalReason reason() const { return reason_; }

private:
    RefusalReason reason_;
};

}  // namespace loa
