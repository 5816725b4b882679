#!/usr/bin/env bats
load common
@test "placeholder" { true; }
