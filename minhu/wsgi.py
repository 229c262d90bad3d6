import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minhu.settings")
application = get_wsgi_application()

if os.environ.get("MINHU_WARM_UP", "0") == "1":
    # Set by `minhu serve`: with gunicorn --preload this runs once, before the workers fork.
    from minhu.core.warmup import warm_up

    warm_up()
