#!/usr/bin/env python
from minhu.manage import main

if __name__ == "__main__":
    main()
