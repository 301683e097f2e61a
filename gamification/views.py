from django.shortcuts import render


def dashboard(request):
    """The trainee's home; a landing page for visitors who are not signed in."""
    if not request.user.is_authenticated:
        return render(request, "landing.html")
    return render(request, "gamification/dashboard.html", {"user": request.user})
