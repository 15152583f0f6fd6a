# The README's two commands: `make run` and `make test`.
.PHONY: run test lint bench build

build:
	go build -o bin/enews ./cmd/enews

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench:
	bash scripts/bench.sh
