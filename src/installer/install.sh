#!/bin/sh
# placeholder-by-main
set -eu
