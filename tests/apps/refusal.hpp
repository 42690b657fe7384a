#pragma once
// A model-file check that must refuse: `attempt` has to throw compose::model_file_error, and its
// message has to contain every expected piece (file:line:column, key, what is allowed).
#include "lamina/compose/model_file.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lamina::test {

template <class Attempt>
void expect_refusal(Attempt&& attempt, const std::vector<std::string>& expect) {
    try {
        attempt();
        FAIL("accepted");
    } catch (const compose::model_file_error& e) {
        INFO(e.what());
        for (const auto& x : expect) CHECK_THAT(std::string(e.what()), Catch::Contains(x));
    }
}

} // namespace lamina::test
